//! xlate's own failures and its bounded code cache: when the host cannot give xlate what it
//! needs (room for the guest address space, memory for the JIT's code cache) xlate ends with
//! one line saying so and status 125, never a panic; a code cache too small for the program
//! is flushed whole and reused, and the guest cannot tell.

use crate::common;

use common::{Run, Status};

fn bin(name: &str) -> std::path::PathBuf {
    common::bin_dir().join(name)
}

fn assert_one_line(out: &common::Output, starts: &str, contains: &str) {
    let err = out.stderr_text();
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with(starts), "{err:?}");
    assert!(err.contains(contains), "{err:?}");
    common::assert_no_panic("host failure", out);
}

#[test]
fn no_memory_for_the_code_cache_is_one_line_and_status_125() {
    // 100 TB (10^14 bytes) of code cache cannot be mapped (the address space of an x86-64 process is 128 TiB,
    // of which the guest region already takes 256 GiB).
    let out = Run::xlate()
        .args(["run", "--code-cache-size", "100000000000000"])
        .arg(bin("hello"))
        .run();
    assert_eq!(out.status, Status::Code(125), "{out:?}");
    assert_one_line(&out, "xlate: cannot start the JIT: ", "code cache");
    assert!(out.stdout.is_empty());
}

#[test]
fn no_room_for_the_guest_address_space_is_one_line_and_status_125() {
    // An address-space limit of 400 MB leaves no room for the 256 GiB guest reservation.
    let cmd = format!(
        "ulimit -v 400000 && exec {} run {}",
        common::xlate().display(),
        bin("hello").display()
    );
    for engine in ["interp", "jit"] {
        let out = Run::new("/bin/sh")
            .args(["-c", &cmd])
            .env("XLATE_ENGINE", engine)
            .run();
        assert_eq!(out.status, Status::Code(125), "[{engine}] {out:?}");
        assert_one_line(
            &out,
            "xlate: cannot reserve ",
            "address space for the guest",
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_full_code_cache_is_flushed_and_the_guest_cannot_tell() {
    // 64 KiB holds a few regions; `realistic` needs more, so the cache fills and is flushed
    // (several times) while the program runs, with the same output as always.
    let out = Run::xlate()
        .args(["run", "--engine", "jit", "--code-cache-size", "64K"])
        .arg("--stats")
        .arg(bin("realistic"))
        .run_expecting("realistic");
    let err = out.stderr_text();
    let flushes = common::stat(&err, " code flushes");
    assert!(flushes >= 2.0, "the cache should have filled: {err:?}");
    assert!(err.contains("of 65536"), "{err:?}");
}
