//! What the store asks of the operating system and of sled's open: which I/O errors pass by
//! themselves, a number unlikely to repeat, sled opened with its panics caught, and the fsync
//! of a database folder. It holds no database state.

use std::path::Path;

/// Whether an I/O error says a resource ran out that comes back by itself.
pub(crate) fn runs_out(e: &std::io::Error) -> bool {
    use nix::errno::Errno;
    if matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull
            | std::io::ErrorKind::QuotaExceeded
            | std::io::ErrorKind::OutOfMemory
            | std::io::ErrorKind::Interrupted
            | std::io::ErrorKind::WouldBlock
    ) {
        return true;
    }
    e.raw_os_error().is_some_and(|code| {
        [
            Errno::ENOSPC,
            Errno::EDQUOT,
            Errno::EMFILE,
            Errno::ENFILE,
            Errno::ENOMEM,
            Errno::ENOBUFS,
            Errno::EAGAIN,
            Errno::EINTR,
        ]
        .contains(&Errno::from_raw(code))
    })
}

/// A number unlikely to be drawn twice: the clock, the process and a fresh hasher's keys mixed.
pub(super) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    h.write_u32(std::process::id());
    h.finish()
}

/// Opens sled, turning a panic inside it (a truncated data file makes sled 0.34 panic:
/// "tried to serialize Uninitialized", an index out of bounds) into an error. The panic's own
/// message is kept out of the terminal: the error says what happened.
pub(super) fn open_catching_panics(
    config: &sled::Config,
) -> Result<sled::Result<sled::Db>, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open()));
    std::panic::set_hook(hook);
    opened.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned())
    })
}

/// The folder inside the database folder that holds the search index (`search`), which syncs its
/// own files: the store leaves it alone.
pub(crate) const SEARCH_DIR: &str = "search";

/// fsyncs every file under the database folder, and the folder itself (not the search index's).
pub(super) fn sync_dir_files(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        let synced = if ft.is_file() {
            std::fs::File::open(entry.path()).and_then(|f| f.sync_all())
        } else if ft.is_dir() && entry.file_name() != SEARCH_DIR {
            // The search index syncs its own files when it writes them; syncing them here would
            // put its writes on every commit's path.
            sync_dir_files(&entry.path())
        } else {
            Ok(())
        };
        match synced {
            // sled replaces its snapshot files in the background (syncing each new one before
            // renaming it into place): one gone since the listing needs no sync.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    std::fs::File::open(dir)?.sync_all()
}
