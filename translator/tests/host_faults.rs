//! Host faults as guest-access checks (`translator::jit::fault`): recognising a load's
//! landing pad in machine code, and the fault handler resuming there or healing a guest page.

use translator::jit::fault;

/// `test rdi, rdi; je pad; mov rax, [rdi]; ret; pad: mov eax, 77; ret`: the load at offset 9
/// right after the conditional branch, whose target (offset 13) is the landing pad.
const CODE: [u8; 19] = [
    0x48, 0x85, 0xff, // test rdi, rdi
    0x0f, 0x84, 0x04, 0x00, 0x00, 0x00, // je +4 (pad)
    0x48, 0x8b, 0x07, // mov rax, [rdi]
    0xc3, // ret
    0xb8, 0x4d, 0x00, 0x00, 0x00, // pad: mov eax, 77
    0xc3, // ret
];

#[test]
fn a_landing_pad_is_a_conditional_branch_right_before_the_load_into_a_block() {
    if !fault::SUPPORTED {
        return;
    }
    let starts = [0, 9, 12, 13];
    assert_eq!(fault::landing_pad(&CODE, 9, &starts), Some((9, 13)));
    // The load's block must start right after the branch, and the branch's target must
    // start a block.
    assert_eq!(fault::landing_pad(&CODE, 9, &[0, 12, 13]), None);
    assert_eq!(fault::landing_pad(&CODE, 9, &[0, 9, 12]), None);
    // Anything but `0f 8x rel32` right before the load: no landing pad.
    assert_eq!(fault::landing_pad(&CODE, 12, &starts), None);
    let mut jmp = CODE;
    jmp[3..9].copy_from_slice(&[0x90, 0xe9, 0x04, 0x00, 0x00, 0x00]); // nop; jmp +4
    assert_eq!(fault::landing_pad(&jmp, 9, &starts), None);
    // A target outside the function, or the load itself.
    let mut far = CODE;
    far[5] = 0x40;
    assert_eq!(fault::landing_pad(&far, 9, &starts), None);
    let mut own = CODE;
    own[5] = 0;
    assert_eq!(fault::landing_pad(&own, 9, &[0, 9]), None);
    assert_eq!(fault::landing_pad(&CODE, 3, &starts), None);
}

/// `test rdi, rdi; je pad; mov rcx, rdi; mov rax, [rcx]; ret; pad: mov eax, 77; ret`: the
/// load at offset 12 after a gap (`mov rcx, rdi`, from offset 9) that writes a register the
/// landing pad (offset 16) does not read.
const GAP: [u8; 22] = [
    0x48, 0x85, 0xff, // test rdi, rdi
    0x0f, 0x84, 0x07, 0x00, 0x00, 0x00, // je +7 (pad)
    0x48, 0x89, 0xf9, // mov rcx, rdi
    0x48, 0x8b, 0x01, // mov rax, [rcx]
    0xc3, // ret
    0xb8, 0x4d, 0x00, 0x00, 0x00, // pad: mov eax, 77
    0xc3, // ret
];

#[test]
fn a_load_after_a_gap_keeps_its_landing_pad_if_the_pad_does_not_read_what_it_writes() {
    if !fault::SUPPORTED {
        return;
    }
    assert_eq!(fault::landing_pad(&GAP, 12, &[0, 9, 16]), Some((9, 16)));
    // `mov eax, 77; test rdi, rdi; je pad; mov rax, rdi; mov rax, [rax]; ret; pad: ret`: the
    // gap replaces the value the pad returns.
    let clobbers: [u8; 22] = [
        0xb8, 0x4d, 0x00, 0x00, 0x00, // mov eax, 77
        0x48, 0x85, 0xff, // test rdi, rdi
        0x0f, 0x84, 0x07, 0x00, 0x00, 0x00, // je +7 (pad)
        0x48, 0x89, 0xf8, // mov rax, rdi
        0x48, 0x8b, 0x00, // mov rax, [rax]
        0xc3, // ret
        0xc3, // pad: ret
    ];
    assert_eq!(fault::landing_pad(&clobbers, 17, &[0, 14, 21]), None);
    // A push in the gap (a store, and a move of the stack pointer) loses the pad.
    let mut store = GAP;
    store[9..12].copy_from_slice(&[0x51, 0x59, 0x90]); // push rcx; pop rcx; nop
    assert_eq!(fault::landing_pad(&store, 12, &[0, 9, 16]), None);
}

/// An anonymous mapping of `len` bytes with protection `prot`.
fn map(len: usize, prot: libc::c_int) -> *mut u8 {
    // SAFETY: a fresh anonymous mapping; checked below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    p.cast()
}

#[test]
fn a_fault_at_a_registered_load_resumes_at_its_landing_pad() {
    if !fault::SUPPORTED {
        return;
    }
    let before = fault::landed_after_gap();
    resumes_at_the_pad(&CODE, 9, 9);
    // After its gap: the pad is found from the branch before the gap.
    resumes_at_the_pad(&GAP, 12, 9);
    assert!(fault::landed_after_gap() >= before + 2);
}

/// Runs `code` (a function of one pointer argument returning the u64 there, or 77 from its
/// landing pad when the pointer is null) with its load at `site` registered, its gap
/// starting at `start`: on an unreadable page, the fault resumes at the landing pad.
fn resumes_at_the_pad(code_bytes: &[u8], site: usize, start: usize) {
    let code = map(4096, libc::PROT_READ | libc::PROT_WRITE);
    // SAFETY: `code` is a fresh writable page; the code fits in it.
    unsafe { std::ptr::copy_nonoverlapping(code_bytes.as_ptr(), code, code_bytes.len()) };
    // SAFETY: our own page, made executable and no longer writable.
    assert_eq!(
        unsafe { libc::mprotect(code.cast(), 4096, libc::PROT_READ | libc::PROT_EXEC) },
        0
    );
    let sites = fault::SiteMap::new(code as usize, 4096).expect("a site map");
    sites.mark(site - 1, site - 1);
    sites.mark(site, start);
    sites.mark(site + 1, site + 1);
    // Clearing the ranges on either side keeps the site (a fault there would otherwise not
    // be ours, and end this test process) and its gap's start.
    sites.clear(0, start);
    sites.clear(start + 1, site);
    sites.clear(site + 1, 4096);
    // SAFETY: the code is a complete function with the C calling convention: one pointer
    // argument, a u64 result.
    let f: extern "C" fn(*const u64) -> u64 = unsafe { std::mem::transmute(code) };
    let data = map(4096, libc::PROT_READ | libc::PROT_WRITE);
    // SAFETY: `data` is a fresh writable page.
    unsafe { data.cast::<u64>().write(1234) };
    assert_eq!(f(data.cast()), 1234, "a readable page: the load");
    assert_eq!(f(std::ptr::null()), 77, "the branch taken");
    let before = fault::landed();
    let hidden = map(4096, libc::PROT_NONE);
    assert_eq!(f(hidden.cast()), 77, "an unreadable page: the landing pad");
    assert_eq!(f(hidden.cast()), 77, "again");
    assert!(fault::landed() >= before + 2);
    drop(sites);
    // SAFETY: unmapping the three pages mapped above; `f` is not called again.
    unsafe {
        libc::munmap(code.cast(), 4096);
        libc::munmap(data.cast(), 4096);
        libc::munmap(hidden.cast(), 4096);
    }
}

#[test]
fn a_host_side_access_to_a_registered_region_is_healed() {
    if !fault::install() {
        return;
    }
    let region = map(2 * 4096, libc::PROT_NONE);
    let slot = fault::add_region(region as usize, 2 * 4096).expect("a region slot");
    let before = fault::healed();
    // SAFETY: the region is registered: the handler makes the page readable and writable
    // (fresh zeros) and the access is retried.
    let v = unsafe { std::ptr::read_volatile(region.add(4096 + 8).cast::<u64>()) };
    assert_eq!(v, 0);
    // SAFETY: as above; the page is now read-write.
    unsafe { std::ptr::write_volatile(region.add(4096 + 8), 5u8) };
    // SAFETY: as above.
    assert_eq!(unsafe { std::ptr::read_volatile(region.add(4096 + 8)) }, 5);
    assert!(fault::healed() > before);
    fault::remove_region(slot);
    // SAFETY: unmapping the region mapped above.
    unsafe { libc::munmap(region.cast(), 2 * 4096) };
}
