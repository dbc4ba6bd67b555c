//! The local Spine's audit queue: an append-only journal of audit events on disk, one serialised
//! [`super::AuditEvent`] per line, in segment files of about [`SEGMENT_BYTES`]. In AWS the audit
//! queue is SQS; locally [`super::BatchingAuditSink`] group-commits each request's events onto
//! the journal before the answer leaves: one `write` per group of requests instead of a database
//! transaction per group.
//!
//! **When an event counts as recorded** is the [`Flush`] policy. [`Flush::Every`] (the local
//! Spine's default): once its line is written to the file, i.e. held by the kernel, so it survives
//! the Spine process crashing or being killed; a flusher thread `fdatasync`s the journal at that
//! interval, so a power cut or kernel crash can lose the events of that last interval. SQS, which
//! acknowledges once the message is stored redundantly, is the AWS side of the same contract.
//! [`Flush::EachAppend`] (`SPINE_AUDIT_FLUSH=each`): once its line is on disk, at the price of an
//! `fdatasync` per group of requests (bench/README.md has both figures).
//!
//! The one reader is the in-process audit writer: it reads from its checkpoint, stores the events
//! (idempotently, keyed by event time and id), then moves the checkpoint on, which deletes the segments it has
//! passed. A crash between storing and the checkpoint replays a few events, which the writer
//! absorbs. A crash in the middle of an append leaves a torn last line: it was never acknowledged,
//! and opening the journal cuts it off. If a flush fails, what reached the disk is unknown, so the
//! journal refuses every later append (fail closed) until the Spine is restarted.
//!
//! Layout: `<dir>/<segment number, 20 digits>.ndjson`, `<dir>/checkpoint` ("segment offset"), and
//! `<dir>/rejected.ndjson` for lines the reader could not parse (the dead-letter queue's part).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// A segment is closed and a new one started once it holds this many bytes.
pub const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

const CHECKPOINT: &str = "checkpoint";
const REJECTED: &str = "rejected.ndjson";

/// When an appended line counts as recorded (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Each append is `fdatasync`ed before it returns.
    EachAppend,
    /// Appends return once written; a flusher thread `fdatasync`s at this interval.
    Every(Duration),
}

impl Flush {
    /// The local Spine's default: written, and flushed within 10 ms.
    pub const DEFAULT: Flush = Flush::Every(Duration::from_millis(10));

    /// `each`, or a number of milliseconds (`SPINE_AUDIT_FLUSH`).
    pub fn parse(s: &str) -> Option<Flush> {
        match s.trim() {
            "each" => Some(Flush::EachAppend),
            ms => ms.parse::<u64>().ok().filter(|ms| *ms > 0).map(|ms| Flush::Every(Duration::from_millis(ms))),
        }
    }
}

/// A place in the journal: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// The journal of one process (one writer of appends, one reader).
pub struct AuditJournal {
    dir: PathBuf,
    active: Mutex<Active>,
    /// The end of what is durable: readers never go past it.
    /// The end of what is written: readers never go past it.
    written: Mutex<Position>,
    /// Written since the last flush.
    dirty: AtomicBool,
    /// Set when a flush failed: every later append is refused.
    failed: AtomicBool,
    flush: Flush,
    segment_bytes: u64,
}

struct Active {
    segment: u64,
    file: Arc<File>,
    len: u64,
}

impl AuditJournal {
    /// Opens (or creates) the journal in `dir`, cutting off a torn last line; with
    /// [`Flush::Every`] starts its flusher thread, which ends when the journal is dropped.
    pub fn open(dir: &Path, flush: Flush) -> io::Result<Arc<AuditJournal>> {
        Self::open_with(dir, flush, SEGMENT_BYTES)
    }

    /// [`Self::open`] with another segment size (tests of rotation).
    pub fn open_with(dir: &Path, flush: Flush, segment_bytes: u64) -> io::Result<Arc<AuditJournal>> {
        fs::create_dir_all(dir)?;
        let segment = segments(dir)?.last().copied().unwrap_or(1);
        let path = segment_path(dir, segment);
        let mut file = OpenOptions::new().create(true).read(true).append(true).open(&path)?;
        let len = durable_length(&mut file)?;
        if len != file.metadata()?.len() {
            tracing::warn!(segment, "audit journal: a torn last line (an append cut short) was cut off");
            file.set_len(len)?;
        }
        file.sync_all()?;
        sync_dir(dir)?;
        let journal = Arc::new(AuditJournal {
            dir: dir.to_owned(),
            active: Mutex::new(Active { segment, file: Arc::new(file), len }),
            written: Mutex::new(Position { segment, offset: len }),
            dirty: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            flush,
            segment_bytes,
        });
        if let Flush::Every(interval) = flush {
            let weak = Arc::downgrade(&journal);
            std::thread::Builder::new().name("audit-journal-flush".into()).spawn(move || flusher(weak, interval))?;
        }
        Ok(journal)
    }

    /// Appends `lines` (each one JSON document without a newline). When this returns `Ok` the
    /// lines are recorded as the [`Flush`] policy says; on an error none of them is kept.
    pub fn append(&self, lines: &[String]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            if line.contains('\n') {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "a journal line holds a newline"));
            }
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
        }
        let mut active = self.active.lock().map_err(|_| poisoned())?;
        if self.failed.load(Ordering::Acquire) {
            return Err(io::Error::other("the audit journal could not flush earlier; restart the Spine"));
        }
        if active.len >= self.segment_bytes {
            // The old segment is made durable before any line goes to the new one, so flushing
            // the active segment always covers everything before it.
            self.flush_file(&active.file)?;
            let segment = active.segment + 1;
            let file =
                OpenOptions::new().create(true).read(true).append(true).open(segment_path(&self.dir, segment))?;
            sync_dir(&self.dir)?;
            *active = Active { segment, file: Arc::new(file), len: 0 };
        }
        if let Err(e) = (&*active.file).write_all(&buf) {
            // Take back whatever part reached the file, so no unacknowledged line is read later.
            let _ = active.file.set_len(active.len);
            return Err(e);
        }
        active.len += buf.len() as u64;
        if self.flush == Flush::EachAppend {
            self.flush_file(&active.file)?;
        } else {
            self.dirty.store(true, Ordering::Release);
        }
        *self.written.lock().map_err(|_| poisoned())? = Position { segment: active.segment, offset: active.len };
        Ok(())
    }

    /// Whether an append waits for the disk.
    pub fn flushes_each_append(&self) -> bool {
        self.flush == Flush::EachAppend
    }

    /// Flushes what is written so far to disk.
    pub fn sync(&self) -> io::Result<()> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let file = self.active.lock().map_err(|_| poisoned())?.file.clone();
        self.flush_file(&file)
    }

    fn flush_file(&self, file: &File) -> io::Result<()> {
        file.sync_data().inspect_err(|e| {
            self.failed.store(true, Ordering::Release);
            tracing::error!(error = %e, "audit journal flush failed; refusing every access until restarted");
        })
    }

    /// Up to `max` lines from `from` on, and the position after the last one returned.
    pub fn read(&self, from: Position, max: usize) -> io::Result<(Vec<String>, Position)> {
        let end = *self.written.lock().map_err(|_| poisoned())?;
        let mut lines = Vec::new();
        let mut at = from;
        while lines.len() < max && at < end {
            let path = segment_path(&self.dir, at.segment);
            let mut file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound && at.segment < end.segment => {
                    at = Position { segment: at.segment + 1, offset: 0 };
                    continue;
                }
                Err(e) => return Err(e),
            };
            let stop = if at.segment == end.segment { end.offset } else { file.metadata()?.len() };
            if at.offset >= stop {
                at = Position { segment: at.segment + 1, offset: 0 };
                continue;
            }
            file.seek(SeekFrom::Start(at.offset))?;
            let mut reader = io::BufReader::new(file.take(stop - at.offset));
            let mut line = Vec::new();
            while lines.len() < max {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 || !line.ends_with(b"\n") {
                    break;
                }
                at.offset += n as u64;
                lines.push(String::from_utf8_lossy(&line[..n - 1]).into_owned());
            }
            if at.offset < stop {
                break;
            }
        }
        Ok((lines, at))
    }

    /// Where the reader stopped last time (the first line of the oldest segment if never).
    pub fn checkpoint(&self) -> io::Result<Position> {
        match fs::read_to_string(self.dir.join(CHECKPOINT)) {
            Ok(s) => {
                let mut parts = s.split_whitespace().map(str::parse::<u64>);
                match (parts.next(), parts.next()) {
                    (Some(Ok(segment)), Some(Ok(offset))) => Ok(Position { segment, offset }),
                    _ => Err(io::Error::new(io::ErrorKind::InvalidData, "audit journal checkpoint is unreadable")),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok(Position { segment: segments(&self.dir)?.first().copied().unwrap_or(1), offset: 0 })
            }
            Err(e) => Err(e),
        }
    }

    /// Records that everything before `to` is stored, and deletes the segments wholly before it.
    /// Not flushed: losing it after a crash only replays events the writer stores once anyway.
    pub fn set_checkpoint(&self, to: Position) -> io::Result<()> {
        let tmp = self.dir.join("checkpoint.tmp");
        fs::write(&tmp, format!("{} {}\n", to.segment, to.offset))?;
        fs::rename(&tmp, self.dir.join(CHECKPOINT))?;
        for segment in segments(&self.dir)? {
            if segment < to.segment {
                fs::remove_file(segment_path(&self.dir, segment))?;
            }
        }
        Ok(())
    }

    /// Sets aside a line the reader could not use, so it neither blocks the journal nor is lost.
    pub fn reject(&self, line: &str) -> io::Result<()> {
        let mut f = OpenOptions::new().create(true).append(true).open(self.dir.join(REJECTED))?;
        f.write_all(line.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_data()
    }
}

/// Flushes `journal` every `interval` while it has unflushed lines, until it is dropped.
fn flusher(journal: Weak<AuditJournal>, interval: Duration) {
    loop {
        std::thread::sleep(interval);
        let Some(journal) = journal.upgrade() else { return };
        if journal.sync().is_err() {
            return;
        }
    }
}

fn poisoned() -> io::Error {
    io::Error::other("audit journal lock poisoned")
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:020}.ndjson"))
}

/// The segment numbers in `dir`, oldest first.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".ndjson").and_then(|n| n.parse::<u64>().ok()) {
            found.push(n);
        }
    }
    found.sort_unstable();
    Ok(found)
}

/// The length of `file` up to and including its last newline.
fn durable_length(file: &mut File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    let mut at = len;
    let mut buf = [0u8; 4096];
    while at > 0 {
        let n = buf.len().min(at as usize);
        file.seek(SeekFrom::Start(at - n as u64))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|b| *b == b'\n') {
            return Ok(at - n as u64 + i as u64 + 1);
        }
        at -= n as u64;
    }
    Ok(0)
}

/// Makes a file's creation (or removal) in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("{{\"n\":{i}}}")).collect()
    }

    #[test]
    fn appended_lines_are_read_back_in_order_across_segments_and_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open_with(dir.path(), Flush::EachAppend, 100).unwrap();
        for chunk in lines(0..50).chunks(7) {
            journal.append(chunk).unwrap();
        }
        assert!(segments(dir.path()).unwrap().len() > 3, "rotated");
        let start = journal.checkpoint().unwrap();
        let (first, at) = journal.read(start, 20).unwrap();
        assert_eq!(first, lines(0..20));
        drop(journal);
        let journal = AuditJournal::open_with(dir.path(), Flush::EachAppend, 100).unwrap();
        let (rest, end) = journal.read(at, 1000).unwrap();
        assert_eq!(rest, lines(20..50));
        assert_eq!(journal.read(end, 10).unwrap().0, Vec::<String>::new());
        journal.append(&lines(50..51)).unwrap();
        assert_eq!(journal.read(end, 10).unwrap().0, lines(50..51));
    }

    #[test]
    fn the_checkpoint_survives_reopening_and_deletes_passed_segments() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open_with(dir.path(), Flush::DEFAULT, 64).unwrap();
        for chunk in lines(0..40).chunks(4) {
            journal.append(chunk).unwrap();
        }
        let before = segments(dir.path()).unwrap().len();
        let (read, at) = journal.read(journal.checkpoint().unwrap(), 30).unwrap();
        assert_eq!(read.len(), 30);
        journal.set_checkpoint(at).unwrap();
        assert!(segments(dir.path()).unwrap().len() < before);
        drop(journal);
        let journal = AuditJournal::open_with(dir.path(), Flush::DEFAULT, 64).unwrap();
        assert_eq!(journal.checkpoint().unwrap(), at);
        assert_eq!(journal.read(at, 100).unwrap().0, lines(30..40));
    }

    #[test]
    fn a_torn_last_line_is_cut_off_on_opening_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open(dir.path(), Flush::DEFAULT).unwrap();
        journal.append(&lines(0..3)).unwrap();
        drop(journal);
        let path = segment_path(dir.path(), 1);
        OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"n\":3").unwrap();
        let journal = AuditJournal::open(dir.path(), Flush::DEFAULT).unwrap();
        journal.append(&lines(4..5)).unwrap();
        let (read, _) = journal.read(journal.checkpoint().unwrap(), 100).unwrap();
        assert_eq!(read, [lines(0..3), lines(4..5)].concat());
        assert!(!fs::read_to_string(&path).unwrap().contains("{\"n\":3{"));
    }

    #[test]
    fn a_line_with_a_newline_is_refused_and_nothing_of_its_append_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open(dir.path(), Flush::DEFAULT).unwrap();
        let bad = vec!["{\"n\":1}".to_owned(), "{\n}".to_owned()];
        assert_eq!(journal.append(&bad).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert!(journal.read(journal.checkpoint().unwrap(), 10).unwrap().0.is_empty());
    }

    #[test]
    fn rejected_lines_are_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open(dir.path(), Flush::DEFAULT).unwrap();
        journal.reject("not json").unwrap();
        assert_eq!(fs::read_to_string(dir.path().join(REJECTED)).unwrap(), "not json\n");
    }

    #[test]
    fn concurrent_appends_all_arrive_whole() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open_with(dir.path(), Flush::EachAppend, 4096).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let journal = journal.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        journal.append(&lines(t * 100 + i * 2..t * 100 + i * 2 + 2)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (mut read, _) = journal.read(journal.checkpoint().unwrap(), 10_000).unwrap();
        read.sort();
        let mut expected: Vec<String> = (0..8).flat_map(|t| lines(t * 100..t * 100 + 50)).collect();
        expected.sort();
        assert_eq!(read, expected);
    }

    #[test]
    fn the_flusher_leaves_nothing_unflushed_and_stops_with_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open(dir.path(), Flush::Every(Duration::from_millis(5))).unwrap();
        journal.append(&lines(0..3)).unwrap();
        assert!(journal.dirty.load(Ordering::Acquire));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while journal.dirty.load(Ordering::Acquire) {
            assert!(std::time::Instant::now() < deadline, "flushed within the interval");
            std::thread::sleep(Duration::from_millis(2));
        }
        let weak = Arc::downgrade(&journal);
        drop(journal);
        // The flusher holds the journal only while flushing.
        while weak.strong_count() > 0 {
            assert!(std::time::Instant::now() < deadline, "the journal is dropped");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn after_a_failed_flush_every_append_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open(dir.path(), Flush::EachAppend).unwrap();
        journal.append(&lines(0..1)).unwrap();
        // As `flush_file` leaves it when the disk reports an error.
        journal.failed.store(true, Ordering::Release);
        assert!(journal.append(&lines(1..2)).is_err());
        assert_eq!(journal.read(journal.checkpoint().unwrap(), 10).unwrap().0, lines(0..1));
    }

    #[test]
    fn flush_policies_parse() {
        assert_eq!(Flush::parse("each"), Some(Flush::EachAppend));
        assert_eq!(Flush::parse("25"), Some(Flush::Every(Duration::from_millis(25))));
        assert_eq!(Flush::parse("0"), None);
        assert_eq!(Flush::parse("soon"), None);
    }
}
