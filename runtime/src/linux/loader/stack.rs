//! The initial process stack, laid out as Linux does for riscv64 (`fs/exec.c` copies the
//! strings, `create_elf_tables` in `fs/binfmt_elf.c` writes the tables; the RISC-V psABI
//! requires `sp` 16-byte aligned at entry).
//!
//! From the top of the stack down:
//!
//! ```text
//! STACK_TOP - 8   8 zero bytes (the kernel's bprm->p starts one word below the top)
//!                 the execfn string (the path given to execve, NUL-terminated)  <- AT_EXECFN
//!                 envp strings, then below them argv strings (argv[0] lowest, contiguous)
//!                 16 random bytes                                               <- AT_RANDOM
//!                 (no platform strings: riscv64 has no AT_PLATFORM)
//!                 padding down to 16-byte alignment
//!                 auxv pairs, ending with AT_NULL
//!                 NULL, envp pointers
//!                 NULL, argv pointers
//! sp ->           argc
//! ```

use super::auxv::AT_NULL;

/// Longest single argument or environment string, including its NUL (MAX_ARG_STRLEN).
pub const MAX_ARG_STRLEN: u64 = 32 * 4096;

/// The stack image to write to guest memory at `sp` and the addresses inside it.
pub(super) struct StackImage {
    pub sp: u64,
    pub bytes: Vec<u8>,
    pub execfn_addr: u64,
    pub random_addr: u64,
    pub argv_addr: u64,
    pub envp_addr: u64,
    pub auxv: Vec<(u64, u64)>,
}

/// Where the strings and tables go, for a stack whose top is `top` and whose lowest usable
/// address is `floor`. `make_auxv(execfn_addr, random_addr)` returns the auxv pairs (without
/// AT_NULL). Returns None when the arguments do not fit (E2BIG).
pub(super) fn build(
    top: u64,
    floor: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    random: [u8; 16],
    make_auxv: impl FnOnce(u64, u64) -> Vec<(u64, u64)>,
) -> Option<StackImage> {
    // Strings must fit in a quarter of the stack (Linux bprm_stack_limits with the default
    // 8 MiB RLIMIT_STACK), each at most MAX_ARG_STRLEN.
    let limit = top.checked_sub(floor)? / 4;
    let strlen = |s: &Vec<u8>| -> Option<u64> {
        let n = (s.len() as u64).checked_add(1)?;
        (n <= MAX_ARG_STRLEN).then_some(n)
    };
    let mut strings: u64 = 0;
    for s in argv.iter().chain(envp) {
        strings = strings.checked_add(strlen(s)?)?;
    }
    let execfn_len = (execfn.len() as u64).checked_add(1)?;
    let ptrs = (argv.len() as u64)
        .checked_add(envp.len() as u64)?
        .checked_mul(8)?;
    if strings.checked_add(ptrs)?.checked_add(execfn_len)? > limit {
        return None;
    }

    let execfn_addr = top.checked_sub(8)?.checked_sub(execfn_len)?;
    let arg_start = execfn_addr.checked_sub(strings)?;
    let random_addr = arg_start.checked_sub(16)?;
    let mut auxv = make_auxv(execfn_addr, random_addr);
    auxv.push((AT_NULL, 0));
    let words = (argv.len() as u64 + 1) + (envp.len() as u64 + 1) + 1 + 2 * auxv.len() as u64;
    let sp = random_addr.checked_sub(words.checked_mul(8)?)? & !15;
    if sp < floor {
        return None;
    }

    let size = usize::try_from(top - sp).ok()?;
    let mut bytes = vec![0u8; size];
    let mut put = |addr: u64, data: &[u8]| -> Option<()> {
        let at = usize::try_from(addr.checked_sub(sp)?).ok()?;
        bytes
            .get_mut(at..at.checked_add(data.len())?)?
            .copy_from_slice(data);
        Some(())
    };

    // Strings: argv then envp, contiguous from arg_start (NULs already in place); execfn
    // above them.
    let mut p = arg_start;
    let mut place = |list: &[Vec<u8>]| -> Option<Vec<u64>> {
        let mut ptrs = Vec::with_capacity(list.len());
        for s in list {
            ptrs.push(p);
            put(p, s)?;
            p += s.len() as u64 + 1;
        }
        Some(ptrs)
    };
    let argv_ptrs = place(argv)?;
    let envp_ptrs = place(envp)?;
    put(execfn_addr, execfn)?;
    put(random_addr, &random)?;

    // Tables: argc, argv[], NULL, envp[], NULL, auxv, AT_NULL.
    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend(&argv_ptrs);
    words.push(0);
    words.extend(&envp_ptrs);
    words.push(0);
    for &(k, v) in &auxv {
        words.push(k);
        words.push(v);
    }
    let table: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    put(sp, &table)?;

    let argv_addr = sp + 8;
    let envp_addr = argv_addr + 8 * (argv.len() as u64 + 1);
    Some(StackImage {
        sp,
        bytes,
        execfn_addr,
        random_addr,
        argv_addr,
        envp_addr,
        auxv,
    })
}
