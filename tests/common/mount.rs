//! A tmpfs mounted over a folder for the tests of a full or failing disk (needs root, which CI
//! is; a test skips when it cannot mount), unmounted when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` (`mount`'s form: "64m") over `at`, made if missing; `None` when
    /// mounting is not allowed here.
    pub fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_owned()))
    }

    /// Mounts it again with `opt` ("ro", "rw", "size=...").
    pub fn remount(&self, opt: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opt}")])
            .arg(&self.0)
            .status()
            .expect("mount runs");
        assert!(ok.success(), "remount {opt}");
    }
}

/// Fills the disk `file` is on with it, to the last block.
pub fn fill(file: &Path) {
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", file.display()))
        .output();
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
