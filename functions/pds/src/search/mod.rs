//! PDS patient search: parse the parameters, read the candidates from the name or soundex index
//! (one key-range query per index partition, never a scan), score them, and answer with a
//! searchset Bundle best match first — or with `TOO_MANY_MATCHES` as an HTTP 200.

pub mod matching;
pub mod params;

use std::collections::HashSet;

use spine_shared::SpineResult;
use spine_shared::ports::{Index, KeyCondition, Query};

use crate::model::{Versioned, family_index_pk, soundex_index_pk};
use crate::names::{family_prefix, glob, soundex};
use crate::repository::PatientRepository;
pub use params::SearchRequest;

/// Items read per index page.
const PAGE: usize = 500;

/// What a search found.
#[derive(Debug)]
pub enum Found {
    /// Matches with their scores, best first; at most `max_results`.
    Matches(Vec<(f64, Versioned)>),
    /// More matches than `max_results`.
    TooMany,
}

/// The key condition selecting a date-of-birth range in an index sort key (`<dob>|...`).
fn birth_condition(req: &SearchRequest) -> KeyCondition {
    let r = req.birthdate;
    if r.is_exact()
        && let Some(d) = r.from
    {
        return KeyCondition::BeginsWith(format!("{d}|"));
    }
    let from = r.from.map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string());
    let to = r.to.map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string());
    KeyCondition::Between(from, format!("{to}|~"))
}

/// The index partitions to read: the family name index for a non-fuzzy search; the soundex index
/// of the family and of each given name for a fuzzy one.
fn plan(req: &SearchRequest) -> Vec<(Index, String)> {
    let mut parts = Vec::new();
    if req.fuzzy {
        let codes = req.family.iter().chain(&req.given).filter_map(|p| soundex(&p.folded));
        let mut seen = HashSet::new();
        for code in codes {
            if seen.insert(code.clone()) {
                parts.push((Index::Gsi2, soundex_index_pk(&code)));
            }
        }
    } else if let Some(f) = &req.family {
        let literal = f.folded.split('*').next().unwrap_or_default();
        parts.push((Index::Gsi1, family_index_pk(family_prefix(literal))));
    }
    parts
}

/// Whether a name-index sort key (`<dob>|<FAMILY>|<nhs>`) can match the searched family; lets the
/// search skip candidates without decoding them.
fn family_key_matches(req: &SearchRequest, sort_key: &str) -> bool {
    let (Some(f), Some(family)) = (&req.family, sort_key.split('|').nth(1)) else { return true };
    if f.wildcard { glob(&f.folded, family) } else { family == f.folded }
}

/// Runs a parsed search.
pub async fn run(repo: &PatientRepository, req: &SearchRequest) -> SpineResult<Found> {
    let condition = birth_condition(req);
    let location_search = (req.postcode.is_some() || req.general_practitioner.is_some()) && !req.include_restricted;
    let mut seen = HashSet::new();
    let mut matches: Vec<(f64, Versioned)> = Vec::new();
    for (index, pk) in plan(req) {
        let mut cursor = None;
        loop {
            let page = repo.query(Query::new(index, pk.clone(), condition.clone()).limit(PAGE).after(cursor)).await?;
            let items = page
                .items
                .into_iter()
                .filter(|i| index != Index::Gsi1 || i.gsi1.as_ref().is_none_or(|k| family_key_matches(req, &k.sk)))
                .collect();
            for v in repo.records_of(items, &mut seen).await? {
                // Restricted patients never come back from a search by location.
                if location_search && v.record.patient.is_restricted() {
                    continue;
                }
                if let Some(score) = matching::score(req, &v.record).filter(|s| *s >= req.min_score) {
                    matches.push((score, v));
                    if matches.len() > req.max_results {
                        return Ok(Found::TooMany);
                    }
                }
            }
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
    }
    matches.sort_by(|(a, va), (b, vb)| b.total_cmp(a).then(va.nhs.cmp(&vb.nhs)));
    Ok(Found::Matches(matches))
}
