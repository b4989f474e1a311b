//! Reading files as ingest jobs left them (one file, or a folder's files in name order), with every
//! failure turned into a rejection that names the cause: not a regular file, too large, unreadable.

use super::Input;
use crate::text::Rejection;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file read from disk, or why it cannot be.
#[derive(Debug, Clone)]
pub struct FileData {
    pub bytes: Vec<u8>,
    pub size: u64,
    /// Nanoseconds since the epoch; `None` when the file system gives no modification time.
    pub mtime_ns: Option<i128>,
}

/// Size and modification time (ns since the epoch) of a file, following links.
pub(crate) fn identity(path: &Path) -> Option<(u64, Option<i128>)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), mtime_ns(&meta)))
}

fn mtime_ns(meta: &std::fs::Metadata) -> Option<i128> {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
}

pub(crate) fn read_file(path: &Path, max_bytes: u64) -> Result<FileData, Rejection> {
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

/// Files to ingest from the command line's paths: files as given, folders as their regular
/// files in name order (hidden names and sub-folders skipped).
pub(crate) fn expand_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                        .map(|e| e.path())
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    out
}

pub fn read_inputs(files: &[PathBuf], max_bytes: u64) -> Vec<Input> {
    files
        .iter()
        .map(|p| Input {
            file: p.display().to_string(),
            data: read_file(p, max_bytes),
        })
        .collect()
}

/// An input made from bytes in memory (for the eval and tests).
pub fn input_from(name: &str, bytes: Vec<u8>) -> Input {
    Input {
        file: name.to_owned(),
        data: if bytes.is_empty() {
            Err(Rejection::Empty)
        } else {
            Ok(FileData {
                size: bytes.len() as u64,
                bytes,
                mtime_ns: None,
            })
        },
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
