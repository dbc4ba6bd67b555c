-- wrk script: GET a random path from the file named by SPINE_BENCH_PATHS, each request with a
-- fresh version-4 UUID as X-Request-ID (the pipeline refuses requests without one).
-- SPINE_BENCH_TOKEN, when set, is sent as a bearer token.
local paths = {}
local token = os.getenv("SPINE_BENCH_TOKEN")

function init(args)
  for line in io.lines(os.getenv("SPINE_BENCH_PATHS")) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

local function hex(n)
  local s = ""
  for _ = 1, n do
    s = s .. string.format("%x", math.random(0, 15))
  end
  return s
end

function request()
  local id = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-" .. hex(12)
  local headers = { ["X-Request-ID"] = id, ["Accept"] = "application/fhir+json" }
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
