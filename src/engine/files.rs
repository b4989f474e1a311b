//! Reading one file as an ingest job left it, with every failure turned into a rejection that
//! names the cause: not a regular file, too large, unreadable.

use crate::text::Rejection;
use std::io::Read;
use std::path::Path;

/// A file read from disk, or why it cannot be.
#[derive(Debug, Clone)]
pub struct FileData {
    pub bytes: Vec<u8>,
    pub size: u64,
    pub mtime_ns: i128,
}

/// Size and modification time (ns since the epoch) of a file, following links.
pub fn identity(path: &Path) -> Option<(u64, i128)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), mtime_ns(&meta)))
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128)
}

pub fn read_file(path: &Path, max_bytes: u64) -> Result<FileData, Rejection> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Rejection::Unreadable(e.to_string()))?;
    let meta = if meta.file_type().is_symlink() {
        std::fs::metadata(path).map_err(|e| Rejection::Unreadable(format!("broken link: {e}")))?
    } else {
        meta
    };
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "a device, socket or pipe"
        };
        return Err(Rejection::NotRegular(what.to_owned()));
    }
    if meta.len() > max_bytes {
        return Err(Rejection::TooLarge {
            size: meta.len(),
            max: max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| Rejection::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Rejection::TooLarge {
            size: bytes.len() as u64,
            max: max_bytes,
        });
    }
    Ok(FileData {
        size: bytes.len() as u64,
        bytes,
        mtime_ns: mtime_ns(&meta),
    })
}
