//! Fuzz target: the ELF loader. Any file must load or be refused with an error, never panic
//! or touch memory outside the guest region.
#![no_main]

use std::io::Write;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use runtime::linux::{loader, Options, Process};
use runtime::mem::GuestMemory;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("xlate-fuzz-elf-{}", std::process::id()));
    let Ok(mut f) = std::fs::File::create(&path) else {
        return;
    };
    if f.write_all(data).is_err() {
        return;
    }
    drop(f);
    let Ok(mem) = GuestMemory::new() else {
        return;
    };
    let mut proc = Process::new(Arc::new(mem), path.clone(), Options::default());
    let argv = vec![b"prog".to_vec(), b"arg".to_vec()];
    let envp = vec![b"A=B".to_vec()];
    let _ = loader::load(&mut proc, &path, &argv, &envp);
});
