//! A full disk: the database's own filesystem filling up during an import (SQLite, whose file
//! is ours to place), and the output's filesystem filling up during an export (every backend).
//! The small filesystems are tmpfs mounts, which need root: the scenarios are `#[ignore]`d unless
//! asked for (`--ignored`, as CI does), and asked for where `mount` fails, they fail saying why.

use std::path::Path;
use std::process::{Command, Stdio};

use staffdb::Backend;

use crate::ledger::{FULL_DISK_EXPORT, FULL_DISK_IMPORT};
use crate::support::{Target, rng, wait};

crate::support::each_backend!(
    #[ignore = "needs root for a tmpfs mount: run with --ignored"]
    a_full_disk_during_export_fails_and_leaves_no_file
);

/// A small tmpfs, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts `kib` KiB of tmpfs on a fresh temp dir; fails the test, saying why, when it cannot.
    fn mount(kib: u64) -> Tmpfs {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::piped())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Tmpfs { dir },
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(error) => error.to_string(),
                };
                panic!("a full-disk scenario cannot run here: mount -t tmpfs failed: {why}")
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills all but `keep_kib` KiB with a file that [`Tmpfs::free`] removes.
    fn fill_leaving(&self, keep_kib: u64) {
        let free = fs_free_kib(self.path());
        let fill = free.saturating_sub(keep_kib) as usize * 1024;
        std::fs::write(self.path().join("filler"), vec![0u8; fill]).expect("fill the tmpfs");
    }

    fn free(&self) {
        let _ = std::fs::remove_file(self.path().join("filler"));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Free KiB on the filesystem holding `path`, as `df` says.
fn fs_free_kib(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-k"])
        .arg(path)
        .output()
        .expect("df");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .expect("df's figure")
}

/// The disk under a SQLite database fills during an import, at a different point in each run:
/// exit 1 saying so, nothing written, the file intact, and once there is room the next write works.
#[test]
#[ignore = "needs root for a tmpfs mount: run with --ignored"]
fn a_full_disk_during_import_fails_and_writes_nothing() {
    let disk = Tmpfs::mount(16 * 1024);
    let url = disk.path().join("staff.db").display().to_string();
    let target = Target::at(Backend::Sqlite, url);
    target.ok(&[
        "add",
        "--name",
        "Alice",
        "--age",
        "30",
        "--position",
        "Manager",
    ]);
    let file = target.csv("people.csv", 100_000);
    let file = file.to_str().expect("UTF-8 path");
    let mut rng = rng(FULL_DISK_IMPORT.test);
    for run in 0..FULL_DISK_IMPORT.runs {
        // 100,000 rows need several MB; leave between 64 KiB and 2 MiB.
        disk.fill_leaving(rng.u64(64..2048));
        let child = target.command(&["import", file]).spawn().expect("spawn");
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "run {run}: {stderr}");
        assert!(
            stderr.contains("full") || stderr.contains("space"),
            "run {run}: {stderr}"
        );
        let before = 1 + run as i64;
        assert_eq!(
            target.count(),
            before,
            "run {run}: rows written on a full disk"
        );
        target.assert_intact();
        disk.free();
        target.ok(&[
            "add",
            "--name",
            "Next",
            "--age",
            "30",
            "--position",
            "Tester",
        ]);
    }
    eprintln!(
        "{}: {} runs, every one exit 1 with nothing written",
        FULL_DISK_IMPORT.test, FULL_DISK_IMPORT.runs
    );
}

/// The disk under `export --output` fills: exit 1 naming the file, no output and no temporary
/// file left, the database untouched.
fn a_full_disk_during_export_fails_and_leaves_no_file(backend: Backend) {
    let target = Target::fresh(backend);
    let disk = Tmpfs::mount(1024);
    let file = target.csv("people.csv", 50_000);
    target.ok(&["import", file.to_str().expect("UTF-8 path")]);
    let out = disk.path().join("out.csv");
    let out_arg = out.to_str().expect("UTF-8 path");
    let mut rng = rng(FULL_DISK_EXPORT.test);
    for run in 0..FULL_DISK_EXPORT.runs {
        disk.fill_leaving(rng.u64(0..768));
        let child = target
            .command(&["export", "--output", out_arg])
            .spawn()
            .expect("spawn");
        let status = wait(child, "export");
        assert_eq!(status.code(), Some(1), "run {run}");
        assert!(!out.exists(), "run {run}: a partial export was left");
        let left = Target::export_temp_files(disk.path());
        assert!(left.is_empty(), "run {run}: {left:?}");
        assert_eq!(target.count(), 50_000);
        disk.free();
    }
    eprintln!(
        "{} on {backend}: {} runs, every one exit 1 and no file",
        FULL_DISK_EXPORT.test, FULL_DISK_EXPORT.runs
    );
}
