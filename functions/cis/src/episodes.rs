//! Recording care episodes: an open episode of care between a patient and an organisation is a
//! legitimate relationship (besides being registered at the organisation as a GP practice). The
//! key (`PATIENT#<nhs>` / `EPISODE#<ods>`, in the patient's partition), the stored form
//! (`{"organisation", "start", "end"}`, RFC 3339, expiring at its end by TTL) and the reader
//! [`open_episode`] the access checks use are shared's (`spine_shared::relationship`); this is
//! the writer. Recording an episode again moves its end and keeps its start.

use spine_shared::ports::{Condition, RecordStore};
use spine_shared::{NhsNumber, SpineError, SpineResult};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use spine_shared::relationship::{Episode, MAX_EPISODE_DAYS, episode_key as key, open_episode};

/// Opens an episode between the patient and the organisation until `end`, or moves the end of
/// the one already open (keeping its start). The caller has checked `end` is after `now` and
/// within [`MAX_EPISODE_DAYS`] of it.
pub async fn record(
    store: &dyn RecordStore,
    nhs: NhsNumber,
    ods: &str,
    end: OffsetDateTime,
    now: OffsetDateTime,
) -> SpineResult<Episode> {
    let (pk, sk) = key(nhs, ods);
    let open = match store.get(&pk, &sk).await? {
        Some(item) => serde_json::from_slice::<Episode>(&item.data).ok().filter(|e| e.is_open(now)),
        None => None,
    };
    let start = match open {
        Some(e) => e.start,
        None => now.format(&Rfc3339).map_err(SpineError::internal)?,
    };
    let end = end.format(&Rfc3339).map_err(SpineError::internal)?;
    let episode = Episode { organisation: ods.to_ascii_uppercase(), start, end };
    store.put(episode.item(nhs), Condition::None).await?;
    Ok(episode)
}
