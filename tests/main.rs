//! xlate's integration tests: the `xlate` binary run on guest programs, images and bad input.
//!
//! One test binary per package: release test binaries each re-instantiate the engines' generic
//! code and link with LTO, so one binary instead of one per file saves most of CI's build
//! time. Each file here is a module; `every_test_file_is_a_module` keeps the list complete.

mod bad_input;
mod boot;
mod busybox;
mod cli;
mod common;
mod gdb;
mod guest_programs;
mod host_failures;
mod limits;
mod linux_boot;
mod musl;
mod qemu_diff;
mod random_code;
mod sandbox;
mod signals;
mod threads;
mod tools;
mod verify;
mod virtio;
mod xlate_test;

/// With `autotests = false`, a test file that no `main.rs` declares would compile into nothing
/// and its tests would silently never run: every package's `tests/*.rs` must be a module.
#[test]
fn every_test_file_is_a_module() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for pkg in [".", "translator", "runtime"] {
        let dir = root.join(pkg).join("tests");
        let main = std::fs::read_to_string(dir.join("main.rs")).expect("tests/main.rs");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/") {
            let path = entry.expect("tests/ entry").path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(module) = name.strip_suffix(".rs") else {
                continue;
            };
            if module != "main" {
                assert!(
                    main.lines().any(|l| l == format!("mod {module};")),
                    "{pkg}/tests/{name} is not declared in {pkg}/tests/main.rs"
                );
                seen += 1;
            }
        }
        assert!(seen >= 3, "{pkg}/tests: only {seen} test files found");
    }
}
