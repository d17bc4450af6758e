//! Tests of the riscv64 ELF loader (runtime::linux::loader) with ELF files built by hand here:
//! segment mapping and permissions, bss, brk, PIE and interpreter placement, the initial stack
//! and auxv as Linux lays them out, and every class of malformed input.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use runtime::linux::loader::auxv::*;
use runtime::linux::loader::{
    self, FormatError, LoadError, LoadErrorKind, Loaded, SegmentError, HWCAP_RV64IMAFDC,
};
use runtime::linux::{run_interp, Exit, Options, Process, MMAP_TOP, PIE_BASE, STACK_TOP};
use runtime::mem::{prot, GuestMemory};
use translator::emit::Width;
use translator::CpuState;

const EM_RISCV: u16 = 243;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_GNU_STACK: u32 = 0x6474_e551;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
/// EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE, as gcc's default rv64gc/lp64d output.
const FLAGS_LP64D: u32 = 0x5;

// Guest code: exit(argc) and exit(argc + 40).
const LD_A0_SP: u32 = 0x0001_3503; // ld a0, 0(sp)
const ADDI_A0_40: u32 = 0x0285_0513; // addi a0, a0, 40
const LI_A7_93: u32 = 0x05d0_0893; // li a7, 93 (exit)
const ECALL: u32 = 0x0000_0073;

#[derive(Clone, Copy, Debug)]
struct Ph {
    ty: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

fn load_ph(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        ty: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align: 0x1000,
    }
}

fn stack_ph(flags: u32) -> Ph {
    Ph {
        ty: PT_GNU_STACK,
        flags,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    }
}

/// A hand-built ELF64 file: header fields, program headers at `phoff`, and file contents.
#[derive(Clone)]
struct Elf {
    class: u8,
    data: u8,
    e_type: u16,
    machine: u16,
    flags: u32,
    entry: u64,
    phoff: u64,
    phentsize: u16,
    phnum: Option<u16>,
    phs: Vec<Ph>,
    body: Vec<u8>,
}

impl Elf {
    fn new(e_type: u16, entry: u64, phs: Vec<Ph>, len: usize) -> Self {
        Elf {
            class: 2,
            data: 1,
            e_type,
            machine: EM_RISCV,
            flags: FLAGS_LP64D,
            entry,
            phoff: 64,
            phentsize: 56,
            phnum: None,
            phs,
            body: vec![0; len],
        }
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        if self.body.len() < at + bytes.len() {
            self.body.resize(at + bytes.len(), 0);
        }
        self.body[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn code(&mut self, at: usize, words: &[u32]) {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put(at, &bytes);
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.body.clone();
        let mut h = Vec::new();
        h.extend_from_slice(&[0x7f, b'E', b'L', b'F', self.class, self.data, 1, 0]);
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&self.e_type.to_le_bytes());
        h.extend_from_slice(&self.machine.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&self.entry.to_le_bytes());
        h.extend_from_slice(&self.phoff.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        h.extend_from_slice(&self.flags.to_le_bytes());
        h.extend_from_slice(&64u16.to_le_bytes());
        h.extend_from_slice(&self.phentsize.to_le_bytes());
        let phnum = self.phnum.unwrap_or(self.phs.len() as u16);
        h.extend_from_slice(&phnum.to_le_bytes());
        h.extend_from_slice(&[0; 6]); // shentsize, shnum, shstrndx
        assert_eq!(h.len(), 64);
        let mut table = Vec::new();
        for p in &self.phs {
            table.extend_from_slice(&p.ty.to_le_bytes());
            table.extend_from_slice(&p.flags.to_le_bytes());
            table.extend_from_slice(&p.offset.to_le_bytes());
            table.extend_from_slice(&p.vaddr.to_le_bytes());
            table.extend_from_slice(&p.vaddr.to_le_bytes()); // p_paddr
            table.extend_from_slice(&p.filesz.to_le_bytes());
            table.extend_from_slice(&p.memsz.to_le_bytes());
            table.extend_from_slice(&p.align.to_le_bytes());
        }
        let need = (self.phoff as usize + table.len()).max(64);
        if out.len() < need {
            out.resize(need, 0);
        }
        out[..64].copy_from_slice(&h);
        let at = self.phoff as usize;
        out[at..at + table.len()].copy_from_slice(&table);
        out
    }
}

/// The standard static test program: text (R+X) at 0x10000 with code at 0x10100, data (R+W) at
/// 0x12000 with 16 bytes from the file and 0x3000 bytes in memory (bss), junk bytes in the file
/// page after the data (which must not show in the bss), and a non-executable PT_GNU_STACK.
const TEXT: u64 = 0x10000;
const DATA: u64 = 0x12000;
fn exec_elf() -> Elf {
    let mut e = Elf::new(
        ET_EXEC,
        TEXT + 0x100,
        vec![
            load_ph(PF_R | PF_X, 0, TEXT, 0x200, 0x200),
            load_ph(PF_R | PF_W, 0x1000, DATA, 0x10, 0x3000),
            stack_ph(PF_R | PF_W),
        ],
        0x1010,
    );
    e.code(0x100, &[LD_A0_SP, LI_A7_93, ECALL]);
    // Junk in the text page after its p_filesz.
    e.put(0x200, &[0xee; 0x100]);
    e.put(0x1000, &[0xaa; 16]);
    e
}

/// The standard program with junk after the data segment's file bytes, in its file page.
fn exec_elf_with_tail_junk() -> Elf {
    let mut e = exec_elf();
    e.put(0x1010, &[0xff; 0xff0]);
    e
}

/// The same program as a PIE (ET_DYN, linked at 0).
fn pie_elf() -> Elf {
    let mut e = exec_elf();
    e.e_type = ET_DYN;
    e.entry = 0x100;
    e.phs[0].vaddr = 0;
    e.phs[1].vaddr = DATA - TEXT;
    e
}

/// A minimal interpreter: ET_DYN, one R+X segment, entry code exit(argc + 40).
fn interp_elf() -> Elf {
    let mut e = Elf::new(
        ET_DYN,
        0x100,
        vec![load_ph(PF_R | PF_X, 0, 0, 0x200, 0x200)],
        0x200,
    );
    e.code(0x100, &[LD_A0_SP, ADDI_A0_40, LI_A7_93, ECALL]);
    e
}

/// `e` with a PT_INTERP (first) naming `interp`, the string stored at file offset 0x180.
fn with_interp(mut e: Elf, interp: &[u8]) -> Elf {
    let mut s = interp.to_vec();
    s.push(0);
    e.put(0x180, &s);
    e.phs.insert(
        0,
        Ph {
            ty: PT_INTERP,
            flags: PF_R,
            offset: 0x180,
            vaddr: TEXT + 0x180,
            filesz: s.len() as u64,
            memsz: s.len() as u64,
            align: 1,
        },
    );
    e
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tmpdir() -> TempDir {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xlate-loader-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    TempDir(dir)
}

fn write_exe(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test ELF");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn new_proc(path: &Path, ld_prefix: Option<PathBuf>) -> Process {
    let mem = Arc::new(GuestMemory::new().expect("reserve guest memory"));
    Process::new(
        mem,
        path.to_path_buf(),
        Options {
            ld_prefix,
            ..Options::default()
        },
    )
}

fn args(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn load_elf(e: &Elf, argv: &[&str]) -> (Process, Result<Loaded, LoadError>) {
    let dir = tmpdir();
    let path = write_exe(&dir, "prog", &e.bytes());
    let mut proc = new_proc(&path, None);
    let r = loader::load(&mut proc, &path, &args(argv), &args(&["A=1"]));
    (proc, r)
}

fn load_err(bytes: &[u8]) -> LoadError {
    let dir = tmpdir();
    let path = write_exe(&dir, "bad", bytes);
    let mut proc = new_proc(&path, None);
    let err = loader::load(&mut proc, &path, &args(&["bad"]), &[]).expect_err("load must fail");
    let msg = err.to_string();
    assert!(!msg.contains('\n') && !msg.ends_with('.'), "{msg}");
    assert!(msg.starts_with(&format!("{}: ", path.display())), "{msg}");
    err
}

fn format_err(bytes: &[u8]) -> FormatError {
    let err = load_err(bytes);
    assert_eq!(err.kind(), LoadErrorKind::BadFormat, "{err}");
    assert_eq!(err.exit_code(), 126);
    err.format_error().cloned().expect("format error")
}

fn run(proc: Process, l: &Loaded) -> Exit {
    let mut x = [0; 32];
    x[2] = l.sp;
    let cpu = CpuState {
        pc: l.entry,
        x,
        ..CpuState::default()
    };
    run_interp(proc, cpu).0
}

fn auxv_get(auxv: &[(u64, u64)], key: u64) -> Option<u64> {
    auxv.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

#[test]
fn static_exec_segments_permissions_bss_and_brk() {
    let (proc, r) = load_elf(&exec_elf_with_tail_junk(), &["prog"]);
    let l = r.expect("load");
    let m = &proc.mem;
    assert_eq!(l.entry, TEXT + 0x100);
    assert_eq!(l.program_entry, TEXT + 0x100);
    assert_eq!(l.load_bias, 0);
    assert_eq!(l.interp_base, None);

    // Text: readable and executable, not writable; contents from the file (ELF header too).
    assert_eq!(m.load(TEXT, Width::W), Ok(0x464c_457f));
    assert_eq!(m.load(TEXT + 0x100, Width::W), Ok(LD_A0_SP as u64));
    assert_eq!(m.fetch16(TEXT + 0x100), Ok((LD_A0_SP & 0xffff) as u16));
    assert!(m.store(TEXT + 0x100, 0, Width::W).is_err());
    let p = m.page_prot(TEXT);
    assert_eq!(
        p & (prot::READ | prot::WRITE | prot::EXEC),
        prot::READ | prot::EXEC
    );
    // The gap page between the segments is unmapped.
    assert!(m.load(TEXT + 0x1000, Width::B).is_err());

    // Data: writable, not executable; 16 bytes from the file, then zeros (including the rest
    // of the last file page, although the file holds junk there), up to memsz.
    assert_eq!(m.load(DATA, Width::D), Ok(0xaaaa_aaaa_aaaa_aaaa));
    assert_eq!(m.load(DATA + 8, Width::D), Ok(0xaaaa_aaaa_aaaa_aaaa));
    for a in (DATA + 0x10..DATA + 0x3000).step_by(8) {
        assert_eq!(m.load(a, Width::D), Ok(0), "bss at {a:#x}");
    }
    assert!(m.fetch16(DATA).is_err());
    m.store(DATA + 0x2ff8, 7, Width::D)
        .expect("bss is writable");
    assert!(m.load(DATA + 0x3000, Width::B).is_err());

    // brk starts at the page-aligned end of the highest segment.
    assert_eq!(proc.brk_start, DATA + 0x3000);
    assert_eq!(proc.brk, DATA + 0x3000);
    assert_eq!(l.brk, DATA + 0x3000);
    // The stack is read-write but not executable (PT_GNU_STACK without PF_X).
    assert_eq!(
        m.page_prot(STACK_TOP - 8) & (prot::READ | prot::WRITE | prot::EXEC),
        prot::READ | prot::WRITE
    );
    assert_eq!(l.stack_top, STACK_TOP);
    assert!(m.load(l.stack_low, Width::B).is_ok());
    assert!(m.load(l.stack_low - 1, Width::B).is_err());
}

#[test]
fn runs_and_exits_with_argc() {
    let (proc, r) = load_elf(&exec_elf(), &["prog", "a", "b"]);
    let l = r.expect("load");
    assert_eq!(run(proc, &l), Exit::Code(3));
}

#[test]
fn stack_layout_matches_linux() {
    let dir = tmpdir();
    let path = write_exe(&dir, "prog", &exec_elf().bytes());
    let mut proc = new_proc(&path, None);
    let argv = args(&["prog", "", "third arg"]);
    let envp = args(&["A=1", "PATH=/bin"]);
    let l = loader::load(&mut proc, &path, &argv, &envp).expect("load");
    let m = proc.mem.clone();
    let rd = |a: u64| m.read_u64(a).expect("stack read");
    let cstr = |a: u64| m.read_cstr(a, 4096).expect("stack string");

    assert_eq!(l.sp % 16, 0);
    assert_eq!(rd(l.sp), 3);
    assert_eq!(l.argv_addr, l.sp + 8);
    let mut a = l.sp + 8;
    let mut strs = Vec::new();
    for want in &argv {
        let p = rd(a);
        assert_eq!(&cstr(p), want);
        strs.push(p);
        a += 8;
    }
    assert_eq!(rd(a), 0);
    a += 8;
    assert_eq!(l.envp_addr, a);
    for want in &envp {
        let p = rd(a);
        assert_eq!(&cstr(p), want);
        strs.push(p);
        a += 8;
    }
    assert_eq!(rd(a), 0);
    a += 8;

    // Strings are contiguous: argv[0] lowest, then the rest, then envp, then execfn.
    for w in strs.windows(2) {
        assert_eq!(w[1], w[0] + cstr(w[0]).len() as u64 + 1);
    }
    let last = *strs.last().expect("strings");
    let execfn = last + cstr(last).len() as u64 + 1;
    assert_eq!(execfn, l.execfn_addr);
    assert_eq!(cstr(execfn), path.as_os_str().as_encoded_bytes());
    // The word at the very top is zero, and the execfn string ends just below it.
    assert_eq!(execfn + cstr(execfn).len() as u64 + 1, STACK_TOP - 8);
    assert_eq!(rd(STACK_TOP - 8), 0);
    // The random bytes sit right below argv[0].
    assert_eq!(l.random_addr, strs[0] - 16);

    // auxv read back from the stack matches proc.auxv, which ends with AT_NULL.
    let mut aux = Vec::new();
    loop {
        let (k, v) = (rd(a), rd(a + 8));
        aux.push((k, v));
        a += 16;
        if k == AT_NULL {
            break;
        }
    }
    assert_eq!(aux, proc.auxv);
    assert_eq!(aux.last(), Some(&(AT_NULL, 0)));
    // Between the tables and the random bytes there is only alignment padding.
    assert!(a <= l.random_addr && l.random_addr - a < 16);

    let get = |k| auxv_get(&aux, k);
    assert_eq!(get(AT_PAGESZ), Some(4096));
    assert_eq!(get(AT_CLKTCK), Some(100));
    assert_eq!(get(AT_HWCAP), Some(0x112d));
    assert_eq!(HWCAP_RV64IMAFDC, 0x112d);
    assert_eq!(get(AT_PHDR), Some(TEXT + 64));
    assert_eq!(get(AT_PHENT), Some(56));
    assert_eq!(get(AT_PHNUM), Some(3));
    assert_eq!(get(AT_BASE), Some(0));
    assert_eq!(get(AT_FLAGS), Some(0));
    assert_eq!(get(AT_ENTRY), Some(TEXT + 0x100));
    assert_eq!(get(AT_SECURE), Some(0));
    assert_eq!(get(AT_EXECFN), Some(l.execfn_addr));
    assert_eq!(get(AT_RANDOM), Some(l.random_addr));
    // SAFETY: getuid/getegid take no arguments and cannot fail.
    let (uid, egid) = unsafe { (libc::getuid() as u64, libc::getegid() as u64) };
    assert_eq!(get(AT_UID), Some(uid));
    assert_eq!(get(AT_EGID), Some(egid));
    assert!(get(AT_MINSIGSTKSZ).is_some_and(|v| v >= 1024));
    assert_eq!(get(AT_SYSINFO_EHDR), None);
    assert_eq!(get(AT_PLATFORM), None);

    // AT_RANDOM: 16 bytes inside the mapped stack (and, overwhelmingly likely, not all zero).
    let r = l.random_addr;
    assert!(r >= l.stack_low && r + 16 <= STACK_TOP);
    let mut rand = [0u8; 16];
    m.read_bytes(r, &mut rand).expect("random bytes");
    assert_ne!(rand, [0; 16]);
    // AT_PHDR really points at the program headers.
    assert_eq!(rd(TEXT + 64) & 0xffff_ffff, PT_LOAD as u64);
}

#[test]
fn empty_argv_gets_an_empty_argv0() {
    let (proc, r) = load_elf(&exec_elf(), &[]);
    let l = r.expect("load");
    assert_eq!(proc.mem.read_u64(l.sp), Ok(1));
    let p = proc.mem.read_u64(l.sp + 8).expect("argv[0]");
    assert_eq!(proc.mem.read_cstr(p, 16), Ok(Vec::new()));
    assert_eq!(proc.mem.read_u64(l.sp + 16), Ok(0));
}

#[test]
fn pie_loads_at_pie_base() {
    let (proc, r) = load_elf(&pie_elf(), &["prog", "x"]);
    let l = r.expect("load");
    assert_eq!(l.load_bias, PIE_BASE);
    assert_eq!(l.entry, PIE_BASE + 0x100);
    assert_eq!(auxv_get(&proc.auxv, AT_ENTRY), Some(PIE_BASE + 0x100));
    assert_eq!(auxv_get(&proc.auxv, AT_PHDR), Some(PIE_BASE + 64));
    assert_eq!(proc.brk_start, PIE_BASE + (DATA - TEXT) + 0x3000);
    assert_eq!(
        proc.mem.load(PIE_BASE + (DATA - TEXT), Width::D),
        Ok(0xaaaa_aaaa_aaaa_aaaa)
    );
    assert!(proc.mem.store(PIE_BASE + 0x100, 0, Width::W).is_err());
    assert_eq!(run(proc, &l), Exit::Code(2));
}

#[test]
fn pie_with_large_alignment_is_aligned() {
    let mut e = pie_elf();
    for p in &mut e.phs[..2] {
        p.align = 0x20_0000;
    }
    let (_proc, r) = load_elf(&e, &["prog"]);
    let l = r.expect("load");
    assert_eq!(l.load_bias % 0x20_0000, 0);
    assert!(l.load_bias >= PIE_BASE);
}

#[test]
fn interpreter_is_loaded_top_down_and_runs_first() {
    let dir = tmpdir();
    let interp = write_exe(&dir, "ld-test.so", &interp_elf().bytes());
    let prog = with_interp(exec_elf(), interp.as_os_str().as_encoded_bytes());
    let path = write_exe(&dir, "prog", &prog.bytes());
    let mut proc = new_proc(&path, None);
    let l = loader::load(&mut proc, &path, &args(&["prog", "1"]), &[]).expect("load");
    let base = l.interp_base.expect("interpreter base");
    assert_eq!(base, MMAP_TOP - 0x1000, "highest free page below MMAP_TOP");
    assert_eq!(l.entry, base + 0x100);
    assert_eq!(l.program_entry, TEXT + 0x100);
    assert_eq!(l.interp_path.as_deref(), Some(interp.as_path()));
    assert_eq!(auxv_get(&proc.auxv, AT_BASE), Some(base));
    assert_eq!(auxv_get(&proc.auxv, AT_ENTRY), Some(TEXT + 0x100));
    assert_eq!(auxv_get(&proc.auxv, AT_PHNUM), Some(4));
    // brk is the program's, not the interpreter's.
    assert_eq!(proc.brk_start, DATA + 0x3000);
    // The interpreter runs first: exit(argc + 40).
    assert_eq!(run(proc, &l), Exit::Code(42));
}

#[test]
fn interpreter_is_found_under_ld_prefix() {
    let dir = tmpdir();
    let root = dir.join("sysroot");
    std::fs::create_dir_all(root.join("lib")).expect("mkdir");
    write_exe(
        &root.join("lib"),
        "ld-xlate-test.so.1",
        &interp_elf().bytes(),
    );
    let prog = with_interp(exec_elf(), b"/lib/ld-xlate-test.so.1");
    let path = write_exe(&dir, "prog", &prog.bytes());

    let mut proc = new_proc(&path, Some(root.clone()));
    let l = loader::load(&mut proc, &path, &args(&["prog"]), &[]).expect("load");
    assert_eq!(
        l.interp_path.as_deref(),
        Some(root.join("lib/ld-xlate-test.so.1").as_path())
    );

    // Without the prefix the interpreter is missing; the error names it and suggests -L.
    let mut proc = new_proc(&path, None);
    let err = loader::load(&mut proc, &path, &args(&["prog"]), &[]).expect_err("missing");
    assert_eq!(err.kind(), LoadErrorKind::MissingInterpreter);
    assert_eq!(err.exit_code(), 126);
    let msg = err.to_string();
    assert!(msg.contains("/lib/ld-xlate-test.so.1"), "{msg}");
    assert!(msg.contains("-L"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    match err {
        LoadError::MissingInterpreter { interp, .. } => {
            assert_eq!(interp, Path::new("/lib/ld-xlate-test.so.1"))
        }
        other => panic!("unexpected {other:?}"),
    }

    // With a prefix that lacks it, also missing, and the message mentions the prefix.
    let mut proc = new_proc(&path, Some(dir.join("empty")));
    let err = loader::load(&mut proc, &path, &args(&["prog"]), &[]).expect_err("missing");
    assert_eq!(err.kind(), LoadErrorKind::MissingInterpreter);
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn bad_interpreter_is_reported_with_its_path() {
    let dir = tmpdir();
    let mut bad = interp_elf();
    bad.machine = EM_X86_64;
    let interp = write_exe(&dir, "ld-bad.so", &bad.bytes());
    let prog = with_interp(exec_elf(), interp.as_os_str().as_encoded_bytes());
    let path = write_exe(&dir, "prog", &prog.bytes());
    let mut proc = new_proc(&path, None);
    let err = loader::load(&mut proc, &path, &args(&["prog"]), &[]).expect_err("bad interp");
    assert_eq!(err.kind(), LoadErrorKind::BadFormat);
    assert!(err.to_string().contains("ld-bad.so"), "{err}");
    assert!(err.to_string().contains("x86-64"), "{err}");
}

#[test]
fn check_reports_the_image() {
    let dir = tmpdir();
    let path = write_exe(&dir, "prog", &with_interp(pie_elf(), b"/lib/ld.so").bytes());
    let img = loader::check(&path).expect("check");
    assert_eq!(img.e_type, ET_DYN);
    assert_eq!(img.entry, 0x100);
    assert_eq!(img.interp.as_deref(), Some(&b"/lib/ld.so"[..]));
    assert_eq!(img.loads.len(), 2);
    assert!(!img.exec_stack);
}

#[test]
fn soft_float_and_exec_stack_programs_load() {
    let mut e = exec_elf();
    e.flags = 0x1; // RVC, soft-float ABI
    e.phs[2].flags = PF_R | PF_W | PF_X;
    let (proc, r) = load_elf(&e, &["prog"]);
    r.expect("soft-float program loads");
    assert_ne!(proc.mem.page_prot(STACK_TOP - 8) & prot::EXEC, 0);
}

// ---- errors ----

#[test]
fn missing_file_directory_and_not_executable() {
    let dir = tmpdir();
    let path = dir.join("does-not-exist");
    let mut proc = new_proc(&path, None);
    let err = loader::load(&mut proc, &path, &[], &[]).expect_err("missing");
    assert_eq!(err.kind(), LoadErrorKind::NotFound);
    assert_eq!(err.exit_code(), 127);
    assert_eq!(
        err.to_string(),
        format!("{}: no such file or directory", path.display())
    );

    let err = loader::load(&mut proc, &dir, &[], &[]).expect_err("directory");
    assert_eq!(err.kind(), LoadErrorKind::NotExecutable);
    assert_eq!(err.exit_code(), 126);
    assert!(err.to_string().ends_with("is a directory"), "{err}");

    let path = write_exe(&dir, "noexec", &exec_elf().bytes());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = loader::load(&mut proc, &path, &[], &[]).expect_err("not executable");
    assert_eq!(err.kind(), LoadErrorKind::NotExecutable);
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[test]
fn empty_and_non_elf_files() {
    assert_eq!(format_err(b""), FormatError::Empty);
    assert_eq!(format_err(b"hello world, not an ELF"), FormatError::NotElf);
    assert_eq!(format_err(b"\x7fELG and more bytes"), FormatError::NotElf);
    assert_eq!(format_err(b"#!/bin/sh\necho hi\n"), FormatError::Script);
    let err = load_err(b"MZ\x90\x00");
    assert!(err.to_string().ends_with(": not an ELF file"), "{err}");
}

#[test]
fn every_truncation_of_a_valid_file_is_an_error() {
    let full = exec_elf().bytes();
    let table_end = 64 + 3 * 56;
    let dir = tmpdir();
    let path = write_exe(&dir, "trunc", &full);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    for len in (0..full.len()).rev() {
        file.set_len(len as u64).expect("truncate");
        let err = loader::check(&path).expect_err("truncated file must fail");
        assert_eq!(err.kind(), LoadErrorKind::BadFormat, "len {len}: {err}");
        let fe = err.format_error().cloned().expect("format error");
        if len == 0 {
            assert_eq!(fe, FormatError::Empty);
        } else if len < 64 {
            assert!(
                matches!(
                    fe,
                    FormatError::Truncated {
                        what: "ELF header",
                        ..
                    }
                ),
                "len {len}: {fe}"
            );
        } else if len < table_end {
            assert!(
                matches!(
                    fe,
                    FormatError::Truncated {
                        what: "program header table",
                        ..
                    }
                ),
                "len {len}: {fe}"
            );
        } else {
            assert!(
                matches!(
                    fe,
                    FormatError::Segment {
                        problem: SegmentError::PastEof { .. },
                        ..
                    }
                ),
                "len {len}: {fe}"
            );
        }
    }
    // A few through load() too, which reports the same errors.
    for len in [0, 3, 4, 5, 17, 19, 20, 63, 64, 100, table_end, 0x1000] {
        let dir = tmpdir();
        let path = write_exe(&dir, "t", &full[..len]);
        let check = loader::check(&path).expect_err("check").to_string();
        assert_eq!(format_err(&full[..len]).to_string(), {
            // The message after "path: " is the same for check() and load().
            check
                .split_once(": ")
                .map(|(_, m)| m.to_string())
                .unwrap_or_default()
        });
    }
    let path = write_exe(&dir, "whole", &full);
    loader::check(&path).expect("the untruncated file is valid");
}

#[test]
fn rv32_is_rejected_with_its_own_message() {
    let mut b = exec_elf().bytes();
    b[4] = 1; // ELFCLASS32
    assert_eq!(format_err(&b), FormatError::Rv32);
    let msg = load_err(&b).to_string();
    assert!(
        msg.contains("32-bit RISC-V (RV32) programs are not supported"),
        "{msg}"
    );
    // Even a 52-byte file (an ELF32 header) gets the RV32 message, not "truncated".
    assert_eq!(format_err(&b[..52]), FormatError::Rv32);
}

#[test]
fn other_machines_are_named() {
    for (m, name) in [
        (EM_X86_64, "x86-64"),
        (EM_AARCH64, "AArch64"),
        (40, "ARM"),
        (3, "i386"),
        (21, "PowerPC64"),
        (22, "s390"),
        (8, "MIPS"),
        (258, "LoongArch"),
        (0x1234, "machine 0x1234"),
    ] {
        let mut e = exec_elf();
        e.machine = m;
        let err = load_err(&e.bytes());
        let msg = err.to_string();
        assert!(msg.contains(name), "{msg}");
        assert!(msg.contains("xlate runs riscv64 programs"), "{msg}");
        assert_eq!(err.exit_code(), 126);
    }
    // A 32-bit x86 file is named as i386, not as RV32.
    let mut e = exec_elf();
    e.machine = 3;
    let mut b = e.bytes();
    b[4] = 1;
    assert!(matches!(format_err(&b), FormatError::WrongMachine(n) if n == "i386"));
    // A big-endian PowerPC64 file: the machine is read in the file's byte order.
    let mut b = exec_elf().bytes();
    b[5] = 2;
    b[18] = 0;
    b[19] = 21;
    assert!(matches!(format_err(&b), FormatError::WrongMachine(n) if n == "PowerPC64"));
}

#[test]
fn header_field_errors() {
    let mut b = exec_elf().bytes();
    b[4] = 3;
    assert_eq!(format_err(&b), FormatError::BadClass(3));

    let mut b = exec_elf().bytes();
    b[5] = 0;
    assert_eq!(format_err(&b), FormatError::BadDataEncoding(0));

    let mut b = exec_elf().bytes();
    b[5] = 2;
    b[18] = 0;
    b[19] = 243;
    assert_eq!(format_err(&b), FormatError::BigEndian);

    let mut e = exec_elf();
    e.e_type = 1;
    assert_eq!(format_err(&e.bytes()), FormatError::NotExecutableType(1));
    assert!(load_err(&e.bytes()).to_string().contains("relocatable"));
    e.e_type = 4;
    assert_eq!(format_err(&e.bytes()), FormatError::NotExecutableType(4));

    let mut e = exec_elf();
    e.flags = 0x8 | 0x5;
    assert_eq!(format_err(&e.bytes()), FormatError::Rve);
    e.flags = 0x6;
    assert_eq!(format_err(&e.bytes()), FormatError::QuadFloat);
}

#[test]
fn program_header_table_errors() {
    let mut e = exec_elf();
    e.phnum = Some(0xffff);
    assert_eq!(format_err(&e.bytes()), FormatError::BadPhnum(0xffff));
    e.phnum = Some(2000);
    assert_eq!(format_err(&e.bytes()), FormatError::BadPhnum(2000));
    e.phnum = Some(0);
    assert_eq!(format_err(&e.bytes()), FormatError::BadPhnum(0));
    // Within the size limit but past the end of the file.
    e.phnum = Some(1000);
    assert!(matches!(
        format_err(&e.bytes()),
        FormatError::Truncated {
            what: "program header table",
            ..
        }
    ));

    let mut e = exec_elf();
    e.phentsize = 32;
    assert_eq!(format_err(&e.bytes()), FormatError::BadPhentsize(32));

    let mut b = exec_elf().bytes();
    b[32..40].copy_from_slice(&u64::MAX.to_le_bytes()); // e_phoff
    assert!(matches!(format_err(&b), FormatError::Truncated { .. }));
    b[32..40].copy_from_slice(&0xffff_ff00u64.to_le_bytes());
    assert!(matches!(format_err(&b), FormatError::Truncated { .. }));
}

fn seg_err(e: &Elf) -> (usize, SegmentError) {
    match format_err(&e.bytes()) {
        FormatError::Segment { index, problem } => (index, problem),
        other => panic!("expected a segment error, got {other:?}"),
    }
}

#[test]
fn segment_errors() {
    // Offset past the end of the file.
    let mut e = exec_elf();
    e.phs[1].offset = 0x10_0000;
    let (i, p) = seg_err(&e);
    assert_eq!(i, 1);
    assert!(matches!(p, SegmentError::PastEof { .. }), "{p}");
    // Offset + filesz wrapping around.
    let mut e = exec_elf();
    e.phs[1].offset = u64::MAX - 0xfff;
    e.phs[1].filesz = 0x2000;
    e.phs[1].memsz = 0x3000;
    assert!(matches!(seg_err(&e).1, SegmentError::PastEof { .. }));
    // filesz > memsz.
    let mut e = exec_elf();
    e.phs[1].memsz = 0x8;
    assert_eq!(
        seg_err(&e),
        (
            1,
            SegmentError::FileszOverMemsz {
                filesz: 0x10,
                memsz: 0x8
            }
        )
    );
    // Address range wrapping around, or wrapping when rounded up to a page.
    let mut e = exec_elf();
    e.phs[1].vaddr = u64::MAX - 0xfff;
    assert!(matches!(
        seg_err(&e).1,
        SegmentError::AddressOverflow { .. }
    ));
    let mut e = exec_elf();
    e.phs[1].vaddr = !0xfff;
    e.phs[1].memsz = 0x10;
    assert!(matches!(
        seg_err(&e).1,
        SegmentError::AddressOverflow { .. }
    ));
    // Offset and address not congruent modulo the page size.
    let mut e = exec_elf();
    e.phs[1].vaddr = DATA + 8;
    assert!(matches!(seg_err(&e).1, SegmentError::Misaligned { .. }));
    // Bad PT_INTERP: not NUL-terminated, empty, too long.
    let mut e = with_interp(exec_elf(), b"/lib/ld.so");
    e.phs[0].filesz -= 1;
    assert_eq!(seg_err(&e), (0, SegmentError::BadInterp));
    let e = with_interp(exec_elf(), b"");
    assert_eq!(seg_err(&e), (0, SegmentError::BadInterp));
    let mut e = with_interp(exec_elf(), b"/lib/ld.so");
    e.phs[0].filesz = 0x10_0000;
    assert_eq!(seg_err(&e), (0, SegmentError::BadInterp));
}

#[test]
fn layout_errors() {
    // No PT_LOAD at all.
    let mut e = exec_elf();
    e.phs = vec![stack_ph(PF_R | PF_W)];
    assert_eq!(format_err(&e.bytes()), FormatError::NoLoad);
    // Entry outside the segments.
    let mut e = exec_elf();
    e.entry = 0x5000_0000;
    assert_eq!(
        format_err(&e.bytes()),
        FormatError::EntryOutside(0x5000_0000)
    );
    // A fixed segment on the null page, over the stack, or beyond the address space.
    for vaddr in [0, STACK_TOP - 0x10000, 1 << 40] {
        let mut e = exec_elf();
        e.phs[1].vaddr = vaddr;
        let err = load_err(&e.bytes());
        assert!(
            matches!(err.format_error(), Some(FormatError::OutsideSpace { .. })),
            "{vaddr:#x}: {err}"
        );
    }
}

#[test]
fn argument_list_too_long() {
    let dir = tmpdir();
    let path = write_exe(&dir, "prog", &exec_elf().bytes());
    let mut proc = new_proc(&path, None);
    let huge = vec![b'x'; 200 * 1024];
    let err = loader::load(&mut proc, &path, &[b"prog".to_vec(), huge], &[]).expect_err("E2BIG");
    assert_eq!(err.kind(), LoadErrorKind::ArgsTooLong);
    assert_eq!(err.exit_code(), 126);
    let many: Vec<Vec<u8>> = (0..40).map(|_| vec![b'y'; 100 * 1024]).collect();
    let err = loader::load(&mut proc, &path, &args(&["prog"]), &many).expect_err("E2BIG");
    assert_eq!(err.kind(), LoadErrorKind::ArgsTooLong);
}

// ---- real toolchain output, only when a riscv64 cross compiler is installed ----

fn cross_gcc() -> Option<&'static str> {
    let gcc = "riscv64-linux-gnu-gcc";
    let ok = std::process::Command::new(gcc)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(gcc)
}

const TINY_C: &str = r#"
long counter;            /* bss */
long data = 5;           /* data */
void _start(void) {
    counter += data;
    register long a0 asm("a0") = counter + 4;
    register long a7 asm("a7") = 93;
    asm volatile("ecall" : "+r"(a0) : "r"(a7));
    for (;;) {}
}
"#;

fn build_tiny(gcc: &str, dir: &Path, name: &str, extra: &[&str]) -> Option<PathBuf> {
    let src = dir.join("tiny.c");
    std::fs::write(&src, TINY_C).ok()?;
    let out = dir.join(name);
    let status = std::process::Command::new(gcc)
        .args(["-O1", "-nostdlib", "-ffreestanding", "-fno-stack-protector"])
        // No gp-relative relaxation: there is no crt to set gp up.
        .arg("-Wl,--no-relax")
        // No compressed instructions, so the test does not depend on the RVC decoder.
        .arg("-march=rv64g")
        .args(extra)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .ok()?;
    status.success().then_some(out)
}

#[test]
fn gcc_static_and_static_pie_programs_run() {
    let Some(gcc) = cross_gcc() else {
        eprintln!("riscv64-linux-gnu-gcc not installed: skipped");
        return;
    };
    let dir = tmpdir();
    for (name, flags) in [
        ("static", &["-static"][..]),
        (
            "spie",
            &["-static-pie", "-fPIE", "-Wl,--no-dynamic-linker"][..],
        ),
    ] {
        let Some(path) = build_tiny(gcc, &dir, name, flags) else {
            eprintln!("{name}: cross compilation failed: skipped");
            continue;
        };
        let img = loader::check(&path).expect("check");
        assert!(img.interp.is_none(), "{name}");
        let mut proc = new_proc(&path, None);
        let l = loader::load(&mut proc, &path, &args(&[name]), &[]).expect("load");
        if img.e_type == ET_DYN {
            assert!(l.entry >= PIE_BASE, "{name}");
        }
        assert_eq!(run(proc, &l), Exit::Code(9), "{name}");
    }
}

#[test]
fn gcc_dynamic_program_loads_glibc_interpreter() {
    let Some(gcc) = cross_gcc() else {
        eprintln!("riscv64-linux-gnu-gcc not installed: skipped");
        return;
    };
    let sysroot = PathBuf::from("/usr/riscv64-linux-gnu");
    if !sysroot.join("lib/ld-linux-riscv64-lp64d.so.1").exists() {
        eprintln!("no riscv64 glibc sysroot: skipped");
        return;
    }
    let dir = tmpdir();
    let src = dir.join("main.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").expect("write source");
    let path = dir.join("dyn");
    let ok = std::process::Command::new(gcc)
        .arg("-o")
        .arg(&path)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("cross compilation failed: skipped");
        return;
    }
    let mut proc = new_proc(&path, Some(sysroot.clone()));
    let l = loader::load(&mut proc, &path, &args(&["dyn"]), &[]).expect("load");
    let base = l.interp_base.expect("interpreter");
    assert!(base < MMAP_TOP && base > l.brk);
    assert_eq!(
        l.interp_path.as_deref(),
        Some(sysroot.join("lib/ld-linux-riscv64-lp64d.so.1").as_path())
    );
    assert_ne!(l.entry, l.program_entry);
    // The interpreter's first instruction is mapped executable.
    proc.mem
        .fetch16(l.entry)
        .expect("interpreter entry is mapped executable");
    // Without -L the interpreter is missing (unless the host has one), with the hint.
    if !Path::new("/lib/ld-linux-riscv64-lp64d.so.1").exists() {
        let mut proc = new_proc(&path, None);
        let err = loader::load(&mut proc, &path, &args(&["dyn"]), &[]).expect_err("no -L");
        assert_eq!(err.kind(), LoadErrorKind::MissingInterpreter);
        assert!(
            err.to_string().contains("-L /usr/riscv64-linux-gnu"),
            "{err}"
        );
    }
}
