//! Loading riscv64 Linux ELF executables into a guest process, as Linux `fs/binfmt_elf.c`
//! (`load_elf_binary`, `load_elf_interp`, `create_elf_tables`) and `fs/exec.c` do: validate the
//! headers (ELF gABI, RISC-V ELF psABI), map the PT_LOAD segments with their permissions, load
//! the program interpreter named by PT_INTERP, set up the heap break, and build the initial
//! stack (argc, argv, envp, auxv) at [`STACK_TOP`].
//!
//! Placement: ET_EXEC programs load at their link addresses; ET_DYN programs (PIE, static-pie)
//! at [`PIE_BASE`] (ELF_ET_DYN_BASE, aligned up to the largest segment alignment); the
//! interpreter at the highest free range below [`MMAP_TOP`], as the kernel's top-down mmap would
//! place it. No address randomization (like qemu-user and `setarch -R`).
//!
//! There is no vDSO, so AT_SYSINFO_EHDR is omitted; glibc and musl then make system calls with
//! `ecall`. riscv64 Linux has no AT_PLATFORM / AT_HWCAP2; the AT_L1*/L2*/L3* cache entries are
//! omitted as qemu-riscv64 does.

pub mod elf;
mod stack;

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use object::elf::{ET_DYN, PF_R, PF_W, PF_X};

use super::{Process, MMAP_TOP, PIE_BASE, STACK_SIZE, STACK_TOP};
use crate::mem::{prot, GuestMemory, MemError, PAGE_SIZE};
use elf::Source;
pub use elf::{Image, Segment};

pub use stack::MAX_ARG_STRLEN;

/// Auxiliary vector entry types (Linux `include/uapi/linux/auxvec.h`, riscv `asm/auxvec.h`).
pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_IGNORE: u64 = 1;
    pub const AT_EXECFD: u64 = 2;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_NOTELF: u64 = 10;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_BASE_PLATFORM: u64 = 24;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_HWCAP2: u64 = 26;
    pub const AT_EXECFN: u64 = 31;
    pub const AT_SYSINFO_EHDR: u64 = 33;
    pub const AT_L1I_CACHESIZE: u64 = 40;
    pub const AT_L1I_CACHEGEOMETRY: u64 = 41;
    pub const AT_L1D_CACHESIZE: u64 = 42;
    pub const AT_L1D_CACHEGEOMETRY: u64 = 43;
    pub const AT_L2_CACHESIZE: u64 = 44;
    pub const AT_L2_CACHEGEOMETRY: u64 = 45;
    pub const AT_L3_CACHESIZE: u64 = 46;
    pub const AT_L3_CACHEGEOMETRY: u64 = 47;
    pub const AT_MINSIGSTKSZ: u64 = 51;
}

/// AT_HWCAP for RV64IMAFDC: bit `letter - 'a'` for each single-letter extension, as the
/// riscv64 kernel reports it (0x112d).
pub const HWCAP_RV64IMAFDC: u64 = {
    let letters = *b"imafdc";
    let mut bits = 0u64;
    let mut i = 0;
    while i < letters.len() {
        bits |= 1 << (letters[i] - b'a');
        i += 1;
    }
    bits
};

/// AT_MINSIGSTKSZ on riscv64 without the V extension: `sizeof(struct rt_sigframe)` (128-byte
/// siginfo + 960-byte ucontext with the F/D/Q register area) rounded up to 16, as the kernel's
/// `get_rt_frame_size(true)`.
pub const MINSIGSTKSZ: u64 = 1088;

/// Linux CLOCKS_PER_SEC (USER_HZ), reported as AT_CLKTCK.
pub const CLKTCK: u64 = 100;

/// Lowest address a fixed-address (ET_EXEC) segment may occupy: the null page stays unmapped.
pub const MIN_LOAD_ADDR: u64 = PAGE_SIZE;

/// Problems with the contents of an ELF file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("file is empty")]
    Empty,
    #[error("not an ELF file")]
    NotElf,
    #[error("not an ELF file (a #! script: run its interpreter under xlate instead)")]
    Script,
    #[error("truncated {what}: needs {need} bytes, the file has {len}")]
    Truncated {
        what: &'static str,
        need: u64,
        len: u64,
    },
    #[error("invalid ELF data encoding {0}")]
    BadDataEncoding(u8),
    #[error("built for {0}, but xlate runs riscv64 programs")]
    WrongMachine(String),
    #[error("32-bit RISC-V (RV32) programs are not supported; xlate runs riscv64 programs")]
    Rv32,
    #[error("invalid ELF class {0}")]
    BadClass(u8),
    #[error("big-endian RISC-V programs are not supported")]
    BigEndian,
    #[error("{} is not an executable", type_name(*.0))]
    NotExecutableType(u16),
    #[error("RV64E programs (EF_RISCV_RVE) are not supported")]
    Rve,
    #[error("the quad-float ABI (Q extension) is not supported")]
    QuadFloat,
    #[error("bad program header entry size {0} (expected 56)")]
    BadPhentsize(u16),
    #[error("bad program header count {0}")]
    BadPhnum(u16),
    #[error("program header {index}: {problem}")]
    Segment { index: usize, problem: SegmentError },
    #[error("no loadable (PT_LOAD) segments")]
    NoLoad,
    #[error("entry point {0:#x} is outside the loadable segments")]
    EntryOutside(u64),
    #[error("no room in the guest address space for {0:#x} bytes of segments")]
    NoSpace(u64),
    #[error("segments at {start:#x}..{end:#x} are outside the usable guest address space")]
    OutsideSpace { start: u64, end: u64 },
    #[error("the program interpreter itself names an interpreter")]
    NestedInterp,
}

/// Problems with one program header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("{what} at offset {offset:#x} size {filesz:#x} extends past the end of the file ({len} bytes)")]
    PastEof {
        what: &'static str,
        offset: u64,
        filesz: u64,
        len: u64,
    },
    #[error("file size {filesz:#x} is larger than memory size {memsz:#x}")]
    FileszOverMemsz { filesz: u64, memsz: u64 },
    #[error("address {vaddr:#x} + size {memsz:#x} overflows")]
    AddressOverflow { vaddr: u64, memsz: u64 },
    #[error("address {vaddr:#x} and file offset {offset:#x} differ modulo the page size")]
    Misaligned { vaddr: u64, offset: u64 },
    #[error("bad program interpreter path (PT_INTERP)")]
    BadInterp,
}

fn type_name(t: u16) -> String {
    match t {
        object::elf::ET_NONE => "an ELF file of type ET_NONE".into(),
        object::elf::ET_REL => "a relocatable object file (.o)".into(),
        object::elf::ET_CORE => "a core dump".into(),
        _ => format!("an ELF file of type {t:#x}"),
    }
}

/// Why a program could not be loaded. Every message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: no such file or directory", .path.display())]
    NotFound { path: PathBuf },
    #[error("{}: {reason}", .path.display())]
    NotExecutable { path: PathBuf, reason: &'static str },
    #[error("{}: {error}", .path.display())]
    BadFormat { path: PathBuf, error: FormatError },
    #[error("{}", missing_interp(.path, .interp, .prefix.as_deref()))]
    MissingInterpreter {
        path: PathBuf,
        /// The PT_INTERP path as written in the program.
        interp: PathBuf,
        /// The `-L` prefix that was searched first, if any.
        prefix: Option<PathBuf>,
    },
    #[error("{}: argument list too long", .path.display())]
    ArgsTooLong { path: PathBuf },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: cannot set up guest memory: {source}", .path.display())]
    Memory { path: PathBuf, source: MemError },
}

fn missing_interp(path: &Path, interp: &Path, prefix: Option<&Path>) -> String {
    match prefix {
        None => format!(
            "{}: program interpreter {} not found (use -L DIR to give the directory holding \
             riscv64 libraries, e.g. -L /usr/riscv64-linux-gnu)",
            path.display(),
            interp.display()
        ),
        Some(pre) => format!(
            "{}: program interpreter {} not found under -L {} nor on the host (check -L DIR, \
             e.g. -L /usr/riscv64-linux-gnu)",
            path.display(),
            interp.display(),
            pre.display()
        ),
    }
}

/// The broad class of a [`LoadError`], for mapping to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadErrorKind {
    NotFound,
    NotExecutable,
    BadFormat,
    MissingInterpreter,
    ArgsTooLong,
    Io,
    Memory,
}

impl LoadError {
    pub fn kind(&self) -> LoadErrorKind {
        match self {
            LoadError::NotFound { .. } => LoadErrorKind::NotFound,
            LoadError::NotExecutable { .. } => LoadErrorKind::NotExecutable,
            LoadError::BadFormat { .. } => LoadErrorKind::BadFormat,
            LoadError::MissingInterpreter { .. } => LoadErrorKind::MissingInterpreter,
            LoadError::ArgsTooLong { .. } => LoadErrorKind::ArgsTooLong,
            LoadError::Io { .. } => LoadErrorKind::Io,
            LoadError::Memory { .. } => LoadErrorKind::Memory,
        }
    }

    /// The exit status a shell gives for this failure: 127 when the program does not exist,
    /// 126 when it exists but cannot be run.
    pub fn exit_code(&self) -> i32 {
        match self.kind() {
            LoadErrorKind::NotFound => 127,
            _ => 126,
        }
    }

    /// The format problem, if this is a [`LoadError::BadFormat`].
    pub fn format_error(&self) -> Option<&FormatError> {
        match self {
            LoadError::BadFormat { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Where a loaded program starts, and what was placed where.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// First instruction to run: the interpreter's entry if there is one, else the program's.
    pub entry: u64,
    /// Initial stack pointer (16-byte aligned, pointing at argc).
    pub sp: u64,
    /// The program's own entry point, relocated (AT_ENTRY).
    pub program_entry: u64,
    /// Difference between the program's load and link addresses (0 for ET_EXEC).
    pub load_bias: u64,
    /// The interpreter's load bias (AT_BASE), if there is an interpreter.
    pub interp_base: Option<u64>,
    /// Host path the interpreter was loaded from.
    pub interp_path: Option<PathBuf>,
    /// Address of the program headers in memory (AT_PHDR; 0 if they are not mapped).
    pub phdr: u64,
    /// Initial program break (also stored in `Process::brk_start` and `Process::brk`).
    pub brk: u64,
    /// The mapped stack: `[stack_low, stack_top)`.
    pub stack_low: u64,
    pub stack_top: u64,
    /// Addresses inside the initial stack: the `argv[0]` pointer slot, the `envp[0]` slot, the execfn
    /// string (AT_EXECFN) and the 16 random bytes (AT_RANDOM).
    pub argv_addr: u64,
    pub envp_addr: u64,
    pub execfn_addr: u64,
    pub random_addr: u64,
}

fn io_error(path: &Path, source: io::Error) -> LoadError {
    match source.kind() {
        io::ErrorKind::NotFound => LoadError::NotFound {
            path: path.to_path_buf(),
        },
        io::ErrorKind::PermissionDenied => LoadError::NotExecutable {
            path: path.to_path_buf(),
            reason: "permission denied",
        },
        _ => LoadError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Opens a file to execute: it must be a regular file, and with `need_exec` have an execute bit
/// (as execve and qemu-user require of the program; the interpreter only needs to be readable,
/// as in qemu-user).
fn open(path: &Path, need_exec: bool) -> Result<Source, LoadError> {
    // Look before opening: opening a FIFO for reading would block.
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    let not_exec = |reason| LoadError::NotExecutable {
        path: path.to_path_buf(),
        reason,
    };
    if meta.is_dir() {
        return Err(not_exec("is a directory"));
    }
    if !meta.is_file() {
        return Err(not_exec("not a regular file"));
    }
    if need_exec && meta.permissions().mode() & 0o111 == 0 {
        return Err(not_exec("permission denied (not executable)"));
    }
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    Ok(Source {
        path: path.to_path_buf(),
        file,
        len,
    })
}

/// Validates `path` as a riscv64 Linux executable without loading it: the file header, the
/// program headers and the segments. The interpreter (if any) is not opened.
pub fn check(path: &Path) -> Result<Image, LoadError> {
    let img = elf::parse(&open(path, false)?)?;
    check_exec_bit(path)?;
    Ok(img)
}

/// The program needs an execute bit, as execve and qemu-user require.
fn check_exec_bit(path: &Path) -> Result<(), LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(LoadError::NotExecutable {
            path: path.to_path_buf(),
            reason: "permission denied (not executable)",
        });
    }
    Ok(())
}

/// Finds and opens the interpreter: under the `-L` prefix first (absolute paths only), then on
/// the host, as qemu-user does.
fn open_interp(prog: &Path, interp: &[u8], prefix: Option<&Path>) -> Result<Source, LoadError> {
    let ip = PathBuf::from(OsStr::from_bytes(interp));
    let mut candidates = Vec::new();
    if let (Some(pre), Ok(rel)) = (prefix, ip.strip_prefix("/")) {
        candidates.push(pre.join(rel));
    }
    candidates.push(ip.clone());
    for c in &candidates {
        match open(c, false) {
            Err(LoadError::NotFound { .. }) => continue,
            other => return other,
        }
    }
    Err(LoadError::MissingInterpreter {
        path: prog.to_path_buf(),
        interp: ip,
        prefix: prefix.map(Path::to_path_buf),
    })
}

fn prot_of(flags: u32) -> u8 {
    let mut p = 0;
    if flags & PF_R != 0 {
        p |= prot::READ;
    }
    if flags & PF_W != 0 {
        p |= prot::WRITE;
    }
    if flags & PF_X != 0 {
        p |= prot::EXEC;
    }
    p
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    Some(v.checked_add(align - 1)? & !(align - 1))
}

/// Bytes copied from the file per read while filling a segment.
const COPY_CHUNK: u64 = 1 << 20;

/// The /proc/self/maps label of a segment of `src` mapped at `start..end` from `offset`.
fn file_label(src: &Source, start: u64, end: u64, offset: u64) -> crate::mem::Label {
    use std::os::unix::fs::MetadataExt;
    let (dev, inode) = src
        .file
        .metadata()
        .map(|m| {
            let d = m.dev();
            (
                format!("{:02x}:{:02x}", libc::major(d), libc::minor(d)),
                m.ino(),
            )
        })
        .unwrap_or_else(|_| ("00:00".into(), 0));
    crate::mem::Label {
        start,
        end,
        offset,
        dev,
        inode,
        // The file itself, symlinks resolved (as the kernel's d_path shows it).
        name: std::os::unix::ffi::OsStrExt::as_bytes(
            std::fs::canonicalize(&src.path)
                .unwrap_or_else(|_| src.path.clone())
                .as_os_str(),
        )
        .to_vec(),
    }
}

/// Maps the PT_LOAD segments of `img` with its lowest page at `base`. Each segment's pages are
/// replaced by zeroed memory, then filled with the file bytes mmap would show from the start of
/// its first page up to `p_offset + p_filesz`; the rest (bss, and the tail of the last file
/// page) stays zero. A page shared by two segments ends up as Linux leaves it: contents from the
/// file, permissions of the later segment.
fn map_image(mem: &GuestMemory, src: &Source, img: &Image, base: u64) -> Result<(), LoadError> {
    let mem_err = |source| LoadError::Memory {
        path: src.path.clone(),
        source,
    };
    let outside = |start, end| src.bad(FormatError::OutsideSpace { start, end });
    for seg in &img.loads {
        let reloc = |v: u64| v.checked_sub(img.min_page)?.checked_add(base);
        let (Some(start), Some(end)) = (reloc(seg.page_start()), reloc(seg.page_end())) else {
            return Err(outside(seg.page_start(), seg.page_end()));
        };
        if start < MIN_LOAD_ADDR || end > STACK_TOP - STACK_SIZE {
            return Err(outside(start, end));
        }
        mem.map_anon(start, end - start, prot_of(seg.flags))
            .map_err(mem_err)?;
        // /proc/self/maps names the segment after its file, as Linux does for mmap'ed images.
        if let Some(off) = seg.offset.checked_sub(seg.vaddr - seg.page_start()) {
            // Only the pages holding file bytes: the bss beyond them is anonymous.
            let lead = seg.vaddr - seg.page_start();
            let file_end = start
                .saturating_add(lead)
                .saturating_add(seg.filesz)
                .next_multiple_of(crate::mem::PAGE_SIZE)
                .min(end);
            if seg.filesz > 0 {
                mem.add_label(file_label(src, start, file_end, off));
            }
        }
        if seg.filesz == 0 {
            continue;
        }
        let lead = seg.vaddr - seg.page_start();
        let (Some(mut off), Some(file_end)) = (
            seg.offset.checked_sub(lead),
            seg.offset.checked_add(seg.filesz),
        ) else {
            return Err(outside(start, end));
        };
        let mut at = start;
        while off < file_end {
            let n = (file_end - off).min(COPY_CHUNK);
            let buf = src.read_at(off, n as usize, "segment")?;
            mem.write_bytes_force(at, &buf)
                .map_err(|_| mem_err(MemError::OutOfRange { addr: at, len: n }))?;
            off += n;
            at += n;
        }
    }
    Ok(())
}

fn random_bytes(path: &Path) -> Result<[u8; 16], LoadError> {
    let mut buf = [0u8; 16];
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: getrandom writes at most `rest.len()` bytes into the valid, exclusively
        // borrowed buffer `rest`.
        let r = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if r < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(LoadError::Io {
                path: path.to_path_buf(),
                source: err,
            });
        }
        filled += r as usize;
    }
    Ok(buf)
}

/// Loads the program at `path` into `proc` as execve would: maps it (and its interpreter),
/// maps the stack below [`STACK_TOP`] and writes argc/argv/envp/auxv there, and sets
/// `proc.brk_start`, `proc.brk` and `proc.auxv` (which ends with its AT_NULL entry).
///
/// `path` is also the AT_EXECFN string. An empty `argv` gets an empty `argv[0]`, as Linux does
/// since 5.18. The caller starts the guest with `pc = entry` and `x2 = sp` (other registers
/// zero: the ELF psABI leaves them unspecified, and Linux clears them, so `a0` (rtld_fini) is
/// 0). On error the process's memory may be partly filled and should be discarded.
pub fn load(
    proc: &mut Process,
    path: &Path,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<Loaded, LoadError> {
    // The format is checked before the execute bit, so a text file or a foreign binary gets the
    // message that says what it is rather than "permission denied".
    let exe = open(path, false)?;
    let img = elf::parse(&exe)?;
    check_exec_bit(path)?;
    let interp = match &img.interp {
        Some(name) => {
            let src = open_interp(path, name, proc.opts.ld_prefix.as_deref())?;
            let iimg = elf::parse(&src)?;
            if iimg.interp.is_some() {
                return Err(src.bad(FormatError::NestedInterp));
            }
            Some((src, iimg))
        }
        None => None,
    };
    let mem = proc.mem.clone();
    let stack_low = STACK_TOP - STACK_SIZE;

    // The program: ET_DYN at PIE_BASE (aligned to its segments' alignment), ET_EXEC in place.
    let base = if img.e_type == ET_DYN {
        match align_up(PIE_BASE, img.max_align) {
            Some(b) if b.checked_add(img.span()).is_some_and(|e| e <= stack_low) => b,
            _ => return Err(exe.bad(FormatError::NoSpace(img.span()))),
        }
    } else {
        img.min_page
    };
    map_image(&mem, &exe, &img, base)?;
    let bias = base.wrapping_sub(img.min_page);
    let reloc = |v: u64| v.checked_sub(img.min_page)?.checked_add(base);
    // Validated by parse: min_page <= entry < max_end, and max_end maps below stack_low.
    let program_entry = reloc(img.entry).unwrap_or(0);
    let brk = reloc(img.max_end).unwrap_or(0);
    let phdr = img.phdr_vaddr.and_then(reloc).unwrap_or(0);

    // The interpreter: at the highest free range below MMAP_TOP (ET_DYN) or in place.
    let mut entry = program_entry;
    let mut interp_base = None;
    let mut interp_path = None;
    if let Some((src, iimg)) = &interp {
        let ibase = if iimg.e_type == ET_DYN {
            let slack = iimg.max_align - PAGE_SIZE;
            let len = iimg.span().checked_add(slack);
            let found = len.and_then(|len| mem.find_free(len, brk.max(MIN_LOAD_ADDR), MMAP_TOP));
            match found.and_then(|a| align_up(a, iimg.max_align)) {
                Some(a) => a,
                None => return Err(src.bad(FormatError::NoSpace(iimg.span()))),
            }
        } else {
            for seg in &iimg.loads {
                if !mem.is_free(seg.page_start(), seg.page_end() - seg.page_start()) {
                    return Err(src.bad(FormatError::OutsideSpace {
                        start: seg.page_start(),
                        end: seg.page_end(),
                    }));
                }
            }
            iimg.min_page
        };
        map_image(&mem, src, iimg, ibase)?;
        let ireloc = |v: u64| v.checked_sub(iimg.min_page)?.checked_add(ibase);
        entry = ireloc(iimg.entry).unwrap_or(0);
        interp_base = Some(ibase.wrapping_sub(iimg.min_page));
        interp_path = Some(src.path.clone());
    }

    // The stack.
    let mut stack_prot = prot::READ | prot::WRITE;
    if img.exec_stack {
        stack_prot |= prot::EXEC;
    }
    mem.map_anon(stack_low, STACK_SIZE, stack_prot)
        .map_err(|source| LoadError::Memory {
            path: path.to_path_buf(),
            source,
        })?;
    mem.add_label(crate::mem::Label {
        start: stack_low,
        end: STACK_TOP,
        offset: 0,
        dev: "00:00".into(),
        inode: 0,
        name: b"[stack]".to_vec(),
    });
    let empty_argv0 = [Vec::new()];
    let argv = if argv.is_empty() {
        &empty_argv0[..]
    } else {
        argv
    };
    let random = random_bytes(path)?;
    // SAFETY: these libc calls take no arguments, touch no memory and cannot fail.
    let ids = unsafe {
        [
            libc::getuid() as u64,
            libc::geteuid() as u64,
            libc::getgid() as u64,
            libc::getegid() as u64,
        ]
    };
    use auxv::*;
    let make_auxv = |execfn: u64, random: u64| {
        vec![
            (AT_MINSIGSTKSZ, MINSIGSTKSZ),
            (AT_HWCAP, HWCAP_RV64IMAFDC),
            (AT_PAGESZ, PAGE_SIZE),
            (AT_CLKTCK, CLKTCK),
            (AT_PHDR, phdr),
            (AT_PHENT, elf::PHDR_SIZE as u64),
            (AT_PHNUM, u64::from(img.phnum)),
            (AT_BASE, interp_base.unwrap_or(0)),
            (AT_FLAGS, 0),
            (AT_ENTRY, program_entry),
            (AT_UID, ids[0]),
            (AT_EUID, ids[1]),
            (AT_GID, ids[2]),
            (AT_EGID, ids[3]),
            (AT_SECURE, 0),
            (AT_RANDOM, random),
            (AT_EXECFN, execfn),
        ]
    };
    let execfn = path.as_os_str().as_bytes();
    let st = stack::build(STACK_TOP, stack_low, argv, envp, execfn, random, make_auxv).ok_or_else(
        || LoadError::ArgsTooLong {
            path: path.to_path_buf(),
        },
    )?;
    mem.write_bytes(st.sp, &st.bytes)
        .map_err(|_| LoadError::Memory {
            path: path.to_path_buf(),
            source: MemError::OutOfRange {
                addr: st.sp,
                len: st.bytes.len() as u64,
            },
        })?;

    proc.brk_start = brk;
    proc.brk = brk;
    proc.auxv = st.auxv;
    Ok(Loaded {
        entry,
        sp: st.sp,
        program_entry,
        load_bias: bias,
        interp_base,
        interp_path,
        phdr,
        brk,
        stack_low,
        stack_top: STACK_TOP,
        argv_addr: st.argv_addr,
        envp_addr: st.envp_addr,
        execfn_addr: st.execfn_addr,
        random_addr: st.random_addr,
    })
}
