//! Robustness: programs made of random code bytes. Whatever the bytes, xlate must end the
//! way Linux ends such a program (a signal, an exit status, or running until killed), under
//! every engine, and never panic or crash itself. The bytes come from a fixed-seed generator,
//! so a failure is reproducible from the seed in its message.
//!
//! `ecall` words are scrubbed from the code: random system calls are the syscall fuzzer's job
//! (they could touch host files), not this test's.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Run, Status};

const CODE_ADDR: u64 = 0x10000;
const CODE_LEN: usize = 4096;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// A static riscv64 ELF with one read+execute segment of `code` at CODE_ADDR, entered at its
/// start.
fn elf(code: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    let phoff = 64u64;
    let off = 0x1000u64;
    // ELF header
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&CODE_ADDR.to_le_bytes()); // e_entry
    f.extend_from_slice(&phoff.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&5u32.to_le_bytes()); // e_flags: RVC | double-float ABI
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&56u16.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&[0; 6]);
    // PT_LOAD, R+X
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&5u32.to_le_bytes());
    f.extend_from_slice(&off.to_le_bytes());
    f.extend_from_slice(&CODE_ADDR.to_le_bytes());
    f.extend_from_slice(&CODE_ADDR.to_le_bytes());
    f.extend_from_slice(&(code.len() as u64).to_le_bytes());
    f.extend_from_slice(&(code.len() as u64).to_le_bytes());
    f.extend_from_slice(&0x1000u64.to_le_bytes());
    f.resize(off as usize, 0);
    f.extend_from_slice(code);
    f
}

fn random_code(seed: u64) -> Vec<u8> {
    let mut rng = XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut code: Vec<u8> = (0..CODE_LEN).map(|_| rng.next() as u8).collect();
    // Scrub ecall (0x00000073) wherever it could be decoded, at any 2-byte alignment.
    for i in (0..CODE_LEN - 3).step_by(2) {
        if code[i..i + 4] == [0x73, 0, 0, 0] {
            code[i] = 0;
        }
    }
    code
}

#[test]
fn random_code_never_crashes_xlate() {
    let dir = std::env::temp_dir().join(format!("xlate-random-code-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for seed in 1..=24u64 {
        let path: PathBuf = dir.join(format!("random-{seed}"));
        std::fs::write(&path, elf(&random_code(seed))).expect("write ELF");
        let mut perms = std::fs::metadata(&path).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).expect("chmod");
        for engine in common::engines() {
            let out = Run::xlate()
                .arg("run")
                .args(common::engine_args(&engine))
                .arg(&path)
                .timeout(Duration::from_secs(5))
                .run();
            let err = out.stderr_text();
            let ok = match out.status {
                // A guest fault ends the guest with SIGILL, SIGTRAP, SIGBUS or SIGSEGV,
                // like Linux would.
                Status::Signal(s) => [4, 5, 7, 11].contains(&s),
                Status::Code(c) => [132, 133, 135, 139].contains(&c),
                // An endless loop in random code is a legitimate guest behaviour.
                Status::TimedOut => true,
            };
            if !ok || err.contains("panicked") || err.contains("RUST_BACKTRACE") {
                failures.push(format!(
                    "seed {seed}, engine {engine}: {} {err}",
                    out.status
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "xlate misbehaved on random code:\n{}",
        failures.join("\n")
    );
}
