//! Reading files as ingest jobs left them (one file, or a folder's files in name order), with every
//! failure turned into a rejection that names the cause: not a regular file, too large, unreadable,
//! a link, or outside the inbox for a caller confined to it (`Reach`); or unreadable for now (a
//! passing cause: no descriptors left, an I/O error), which is retried.

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

/// Whether an I/O error may pass by itself: descriptors or memory run out, an interrupted or
/// would-block call, a failing disk or network file system. The file is tried again later.
pub(crate) fn is_passing(e: &std::io::Error) -> bool {
    use nix::errno::Errno;
    if matches!(
        e.kind(),
        std::io::ErrorKind::Interrupted
            | std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::OutOfMemory
            | std::io::ErrorKind::TimedOut
    ) {
        return true;
    }
    e.raw_os_error().is_some_and(|code| {
        [
            Errno::EMFILE,
            Errno::ENFILE,
            Errno::EIO,
            Errno::EAGAIN,
            Errno::EINTR,
            Errno::ENOMEM,
            Errno::ENOBUFS,
            Errno::ETIMEDOUT,
            Errno::ESTALE,
        ]
        .contains(&Errno::from_raw(code))
    })
}

/// A failed read as a rejection: passing causes become `Unavailable` (retried, never stored).
fn unreadable(e: &std::io::Error, what: &str) -> Rejection {
    if is_passing(e) {
        Rejection::Unavailable(format!("{what}{e}"))
    } else {
        Rejection::Unreadable(format!("{what}{e}"))
    }
}

/// Where the engine may open files for a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Wherever this process may read: a command run by a user on their own files, in their own
    /// process.
    Anywhere,
    /// Only files inside `root` (a canonical folder: the inbox): what a socket client names and
    /// what arrives in the inbox. A name that is a symbolic link is refused unless `links`, and
    /// even then read only when its target is inside `root`.
    Inside { root: PathBuf, links: bool },
}

impl Reach {
    /// The inbox of `inbox` (resolved now; it must exist), links as configured.
    pub(crate) fn inbox(inbox: &Path, links: bool) -> std::io::Result<Reach> {
        Ok(Reach::Inside {
            root: inbox.canonicalize()?,
            links,
        })
    }

    /// Why a caller confined to the inbox may not name `path` at all, if it may not: a relative
    /// path, or one that leads outside the inbox once `..` and links are resolved. A path that
    /// cannot be resolved but lies inside the inbox as written is let through, to be rejected
    /// by [`read_file`] as unreadable; outside it, nothing is said about whether it exists.
    pub(crate) fn refuse(&self, path: &Path) -> Option<String> {
        let Reach::Inside { root, .. } = self else {
            return None;
        };
        if !path.is_absolute() {
            return Some(format!(
                "'{}' is not an absolute path; the daemon reads only files inside its inbox '{}'",
                path.display(),
                root.display()
            ));
        }
        let resolved = match path.canonicalize() {
            Ok(p) => p,
            Err(_) if lexically_inside(path, root) => return None,
            Err(_) => lexical(path),
        };
        if resolved.starts_with(root) {
            return None;
        }
        let how = if lexically_inside(path, root) {
            format!(" (it leads to '{}')", resolved.display())
        } else {
            String::new()
        };
        Some(format!(
            "'{}' is outside the daemon's inbox '{}'{how}; the daemon reads only files inside its inbox: copy the file into a sub-folder of it (never watched), such as '{}'",
            path.display(),
            root.display(),
            root.join("requests").display()
        ))
    }
}

/// `path` with `.` and `..` taken away as written, links not followed.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether `path` as written (with `..` resolved, links not followed) names something in `root`.
fn lexically_inside(path: &Path, root: &Path) -> bool {
    lexical(path).starts_with(root)
}

/// Opens `path` for reading without blocking on a pipe, refusing a link when `no_follow`.
fn open(path: &Path, no_follow: bool) -> std::io::Result<std::fs::File> {
    use nix::fcntl::OFlag;
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = OFlag::O_NONBLOCK;
    if no_follow {
        flags |= OFlag::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)
}

/// The file to open for `path` under `reach`: the path itself anywhere; inside the inbox, the
/// resolved path (no link left in it), after refusing a link that is not allowed or whose target
/// is outside.
fn resolve(path: &Path, reach: &Reach) -> Result<PathBuf, Rejection> {
    let Reach::Inside { root, links } = reach else {
        return Ok(path.to_owned());
    };
    let is_link = std::fs::symlink_metadata(path)
        .map_err(|e| unreadable(&e, ""))?
        .file_type()
        .is_symlink();
    if is_link && !links {
        return Err(Rejection::Link(
            "links are not followed unless daemon.follow_symlinks is set".to_owned(),
        ));
    }
    // A name directly in the (resolved) inbox that is not a link is its own resolved path: the
    // inbox's own files, the common case, need no more look-ups.
    if !is_link && path.parent() == Some(root.as_path()) {
        return Ok(path.to_owned());
    }
    let resolved = path.canonicalize().map_err(|e| {
        if is_link {
            unreadable(&e, "broken link: ")
        } else {
            unreadable(&e, "")
        }
    })?;
    if !resolved.starts_with(root) {
        return Err(Rejection::Link(format!(
            "it leads outside the inbox, to '{}'",
            resolved.display()
        )));
    }
    Ok(resolved)
}

/// Whether an opened file is inside `root` as the kernel names it (Linux's `/proc/self/fd`): a
/// folder between `root` and the file could have been swapped for a link after it was resolved.
/// Where `/proc` cannot be read, the check made before opening stands.
fn opened_inside(file: &std::fs::File, root: &Path) -> bool {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_or(true, |p| p.starts_with(root))
}

/// Reads a file whole, refusing what `reach` does not allow, what is not a regular file and
/// what is over `max_bytes`. The checks are made on the opened file, so the file cannot be
/// swapped between the check and the read; inside the inbox the resolved path is opened with
/// `O_NOFOLLOW`, so a link put in its place is refused, not followed.
pub(crate) fn read_file(path: &Path, max_bytes: u64, reach: &Reach) -> Result<FileData, Rejection> {
    let target = resolve(path, reach)?;
    let confined = matches!(reach, Reach::Inside { .. });
    let file = open(&target, confined).map_err(|e| {
        if confined && e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) {
            Rejection::Link("it was replaced by a link while being read".to_owned())
        } else if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            unreadable(&e, "broken link: ")
        } else {
            unreadable(&e, "")
        }
    })?;
    if let Reach::Inside { root, .. } = reach {
        if target.parent() != Some(root.as_path()) && !opened_inside(&file, root) {
            return Err(Rejection::Link(
                "a folder on its way was replaced by a link while it was opened".to_owned(),
            ));
        }
    }
    let meta = file.metadata().map_err(|e| unreadable(&e, ""))?;
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
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(&e, ""))?;
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
    read_inputs_within(files, max_bytes, &Reach::Anywhere)
}

/// [`read_inputs`] confined to `reach`.
pub(crate) fn read_inputs_within(files: &[PathBuf], max_bytes: u64, reach: &Reach) -> Vec<Input> {
    files
        .iter()
        .map(|p| Input {
            file: p.display().to_string(),
            data: read_file(p, max_bytes, reach),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// An inbox with a file in it, and a file outside it.
    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(inbox.join("sub")).expect("inbox");
        let inside = inbox.join("sub/in.txt");
        std::fs::write(&inside, "inside").expect("write");
        let outside = dir.path().join("out.txt");
        std::fs::write(&outside, "outside").expect("write");
        (dir, inbox, inside, outside)
    }

    #[test]
    fn confined_callers_may_name_only_the_inbox() {
        let (_dir, inbox, inside, outside) = setup();
        let reach = Reach::inbox(&inbox, false).expect("resolves");
        assert_eq!(reach.refuse(&inside), None);
        assert_eq!(reach.refuse(&inbox.join("sub/not-yet.txt")), None);
        let link = inbox.join("link.txt");
        symlink(&outside, &link).expect("link");
        for (path, why) in [
            (outside.clone(), "outside the daemon's inbox"),
            (
                inbox.join("sub/../../out.txt"),
                "outside the daemon's inbox",
            ),
            (link, "it leads to"),
            (PathBuf::from("sub/in.txt"), "not an absolute path"),
            (PathBuf::from("/no/such/file"), "outside the daemon's inbox"),
        ] {
            let message = reach.refuse(&path).unwrap_or_else(|| panic!("{path:?}"));
            assert!(message.contains(why), "{path:?}: {message}");
        }
        assert_eq!(Reach::Anywhere.refuse(&outside), None);
    }

    #[test]
    fn links_are_read_only_when_allowed_and_only_to_the_inbox() {
        let (_dir, inbox, inside, outside) = setup();
        let (to_in, to_out) = (inbox.join("a.txt"), inbox.join("b.txt"));
        symlink(&inside, &to_in).expect("link");
        symlink(&outside, &to_out).expect("link");
        let strict = Reach::inbox(&inbox, false).expect("resolves");
        let open = Reach::inbox(&inbox, true).expect("resolves");
        let read = |p: &Path, r: &Reach| read_file(p, 1 << 20, r).map(|d| d.bytes);
        assert!(matches!(read(&to_in, &strict), Err(Rejection::Link(_))));
        assert!(matches!(read(&to_out, &strict), Err(Rejection::Link(_))));
        assert_eq!(read(&to_in, &open), Ok(b"inside".to_vec()));
        assert!(
            matches!(read(&to_out, &open), Err(Rejection::Link(ref m)) if m.contains("outside"))
        );
        assert_eq!(read(&to_out, &Reach::Anywhere), Ok(b"outside".to_vec()));
        assert_eq!(read(&inside, &strict), Ok(b"inside".to_vec()));
    }

    #[test]
    fn an_opened_file_is_placed_by_the_kernel() {
        let (_dir, inbox, inside, outside) = setup();
        let root = inbox.canonicalize().expect("resolves");
        let open = |p: &Path| std::fs::File::open(p).expect("opens");
        assert!(opened_inside(&open(&inside), &root));
        if Path::new("/proc/self/fd").is_dir() {
            assert!(!opened_inside(&open(&outside), &root));
        }
    }

    #[test]
    fn a_pipe_is_refused_without_waiting_for_a_writer() {
        let (_dir, inbox, _, _) = setup();
        let fifo = inbox.join("pipe.txt");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        for reach in [
            Reach::Anywhere,
            Reach::inbox(&inbox, false).expect("resolves"),
        ] {
            assert!(matches!(
                read_file(&fifo, 1 << 20, &reach),
                Err(Rejection::NotRegular(_))
            ));
        }
    }

    #[test]
    fn passing_causes_are_told_from_lasting_ones() {
        use nix::errno::Errno;
        for code in [
            Errno::EMFILE,
            Errno::ENFILE,
            Errno::EIO,
            Errno::EAGAIN,
            Errno::ENOMEM,
        ] {
            let e = std::io::Error::from_raw_os_error(code as i32);
            assert!(is_passing(&e), "{code}");
            assert!(unreadable(&e, "").is_transient(), "{code}");
        }
        for code in [Errno::EACCES, Errno::ENOENT, Errno::EISDIR, Errno::ELOOP] {
            let e = std::io::Error::from_raw_os_error(code as i32);
            assert!(!is_passing(&e), "{code}");
            assert!(!unreadable(&e, "").is_transient(), "{code}");
        }
    }
}
