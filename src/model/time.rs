//! Times as people and scripts read them: milliseconds since the epoch written as a UTC date and
//! clock or as RFC 3339, and `--since` read back from RFC 3339 or a duration. Pure arithmetic; no
//! clock is read here (the caller passes "now").

use serde::ser::{SerializeMap, Serializer};

/// "2024-05-01 12:03:04 UTC".
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, mo, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// RFC 3339 in UTC with milliseconds: "2024-06-01T12:00:00.000Z".
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, mo, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Serializes a time in milliseconds as two entries of the enclosing object: `NAME_ms` (the
/// number) and `NAME_at`, or `at` when `name` is empty (RFC 3339), so every JSON line that
/// carries a time carries both. Used with `#[serde(flatten, serialize_with = ...)]`.
pub(crate) fn both<S: Serializer>(name: &str, ms: Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    let (ms_key, at_key) = if name.is_empty() {
        ("at_ms".to_owned(), "at".to_owned())
    } else {
        (format!("{name}_ms"), format!("{name}_at"))
    };
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry(&ms_key, &ms)?;
    map.serialize_entry(&at_key, &ms.map(rfc3339))?;
    map.end()
}

/// What `list --since` accepts: an RFC 3339 time (`2024-06-01T12:00:00Z`, an offset such as
/// `+02:00`, fractions of a second) or a duration back from now (`90s`, `30m`, `2h`, `3d`, `1w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    At(u64),
    Ago(u64),
}

impl Since {
    /// The time meant, in milliseconds since the epoch, given the time now.
    pub fn resolve(self, now_ms: u64) -> u64 {
        match self {
            Since::At(ms) => ms,
            Since::Ago(ms) => now_ms.saturating_sub(ms),
        }
    }

    pub fn parse(text: &str) -> Result<Since, String> {
        let t = text.trim();
        let unit_ms = match t.chars().last() {
            Some('s') => Some(1_000),
            Some('m') => Some(60_000),
            Some('h') => Some(3_600_000),
            Some('d') => Some(86_400_000),
            Some('w') => Some(604_800_000),
            _ => None,
        };
        if let Some(unit) = unit_ms {
            let n = &t[..t.len() - 1];
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                return n
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| n.checked_mul(unit))
                    .map(Since::Ago)
                    .ok_or_else(|| format!("'{text}' is too long a duration"));
            }
        }
        parse_rfc3339(t).map(Since::At).ok_or_else(|| {
            format!(
                "'{text}' is neither an RFC 3339 time (2024-06-01T12:00:00Z) nor a duration \
                 (30m, 2h, 3d, 1w)"
            )
        })
    }
}

/// "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" (a space or `t` for the `T`, `z` for `Z`) to
/// milliseconds since the epoch; `None` when malformed or before 1970.
fn parse_rfc3339(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = t.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, s) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut at = 19;
    let mut frac_ms = 0;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let first3 = &t[at + 1..at + 1 + digits.min(3)];
        frac_ms = first3.parse::<i64>().ok()? * 10_i64.pow(3 - first3.len() as u32);
        at += 1 + digits;
    }
    let offset_min = match &t[at..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    let ms = secs.checked_mul(1000)?.checked_add(frac_ms)?;
    u64::try_from(ms).ok()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A calendar date to days since 1970-01-01 (the inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_known_instant() {
        assert_eq!(super::utc(1_717_243_200_000), "2024-06-01 12:00:00 UTC");
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            super::rfc3339(1_717_243_200_123),
            "2024-06-01T12:00:00.123Z"
        );
    }

    #[test]
    fn since_reads_rfc3339_and_durations() {
        use super::Since;
        let at = |t: &str| Since::parse(t).map(|s| s.resolve(0));
        assert_eq!(at("2024-06-01T12:00:00Z"), Ok(1_717_243_200_000));
        assert_eq!(at("2024-06-01T12:00:00.5Z"), Ok(1_717_243_200_500));
        assert_eq!(at("2024-06-01T14:00:00+02:00"), Ok(1_717_243_200_000));
        assert_eq!(at("2024-06-01 09:30:00-02:30"), Ok(1_717_243_200_000));
        assert_eq!(at("2024-02-29T00:00:00Z"), Ok(1_709_164_800_000));
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-06-01",
            "2024-06-01T12:00:00",
            "yesterday",
            "h",
            "-2h",
            "2024-13-01T00:00:00Z",
        ] {
            assert!(Since::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            Since::parse("2h").map(|s| s.resolve(10_000_000)),
            Ok(2_800_000)
        );
        assert_eq!(Since::parse("3d"), Ok(Since::Ago(3 * 86_400_000)));
        assert_eq!(Since::parse("1w").map(|s| s.resolve(0)), Ok(0));
        // Round trip over many instants.
        for ms in (0..4_000_000_000_000_u64).step_by(97_654_321_123) {
            assert_eq!(at(&super::rfc3339(ms)), Ok(ms));
        }
    }
}
