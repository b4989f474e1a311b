//! Build script: names the commit in `--version` (`0.1.0 (3f2a1bc)`) when built from a git
//! checkout with git on the PATH; a plain version otherwise (a crates.io tarball, no git).
//! It must not fail the build for want of git.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let long = match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=COPYDESK_VERSION={long}");
    // Rebuild the version when HEAD moves or a branch's ref changes, not on every edit. Only
    // paths that exist are named: cargo takes a missing one for a change, and would then build
    // copydesk again on every `cargo build` (a clone without packed-refs did). The folder of the
    // branch's ref is named rather than its file, so a ref that git packed and a commit then
    // writes loose again is seen too.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        watch(&PathBuf::from(dir).join("HEAD"));
        if let Some(common) = git(&["rev-parse", "--git-common-dir"]) {
            let common = PathBuf::from(common);
            watch(&common.join("packed-refs"));
            if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
                if let Some(folder) = common.join(head_ref).parent() {
                    watch(folder);
                }
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
