//! `xlate binfmt install|uninstall|status`: registers xlate with the kernel's binfmt_misc
//! (Documentation/admin-guide/binfmt-misc.rst) as the handler of riscv64 ELF executables, so
//! `./prog` runs a riscv64 program directly.
//!
//! The registration line is `:name:M:offset:magic:mask:interpreter:flags`. The magic and mask
//! match a 64-bit little-endian ELF (any OS ABI) of type ET_EXEC or ET_DYN for EM_RISCV (243).
//! Flags: `P` preserve argv[0] (the interpreter gets `interp path argv0 args...`), `O` the
//! kernel opens the binary and passes it as AT_EXECFD (so unreadable, execute-only programs
//! run), `F` the interpreter is opened at registration (works in containers and chroots).
//!
//! The interpreter is a symlink named `xlate-binfmt` to the xlate binary: invoked under that
//! name, xlate takes its arguments in binfmt_misc's `P` layout (see [`binfmt_argv`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Name of the binfmt_misc entry.
pub const ENTRY: &str = "xlate-riscv64";
/// File name under which xlate runs as the binfmt_misc interpreter.
pub const INTERP_NAME: &str = "xlate-binfmt";
const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";
const FLAGS: &str = "POF";

/// ELF header bytes 0..20: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, OS ABI, padding,
/// e_type = ET_EXEC, e_machine = EM_RISCV.
const MAGIC: [u8; 20] = [
    0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0xf3, 0,
];
/// The OS ABI byte is ignored; e_type's low bit is ignored (ET_EXEC 2 or ET_DYN 3).
const MASK: [u8; 20] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xfe, 0xff, 0xff, 0xff,
];

#[derive(clap::Args)]
#[command(after_help = "Examples:
  xlate binfmt install --dry-run     print the registration line, change nothing
  sudo xlate binfmt install          register; then ./riscv64-program runs directly
  xlate binfmt status
  sudo xlate binfmt uninstall")]
pub struct BinfmtArgs {
    #[arg(value_enum)]
    action: Action,
    /// Print what would be done (the registration line) without doing it.
    #[arg(long)]
    dry_run: bool,
    /// The interpreter path to register (default: `xlate-binfmt` next to this xlate binary,
    /// created as a symlink to it).
    #[arg(long, value_name = "PATH")]
    interpreter: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Action {
    Install,
    Uninstall,
    Status,
}

fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\x{b:02x}")).collect()
}

/// The line written to `/proc/sys/fs/binfmt_misc/register`.
pub fn registration_line(interpreter: &Path) -> String {
    format!(
        ":{ENTRY}:M::{}:{}:{}:{FLAGS}",
        escape(&MAGIC),
        escape(&MASK),
        interpreter.display()
    )
}

fn default_interpreter() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.with_file_name(INTERP_NAME))
}

pub fn binfmt(args: BinfmtArgs) -> ExitCode {
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xlate: binfmt: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &BinfmtArgs) -> Result<(), String> {
    let entry = Path::new(BINFMT_DIR).join(ENTRY);
    match args.action {
        Action::Install => {
            let interp = match &args.interpreter {
                Some(p) => p.clone(),
                None => default_interpreter().map_err(|e| format!("cannot find xlate: {e}"))?,
            };
            let line = registration_line(&interp);
            if args.dry_run {
                println!("{line}");
                return Ok(());
            }
            if args.interpreter.is_none() && !interp.exists() {
                let exe = std::env::current_exe().map_err(|e| e.to_string())?;
                std::os::unix::fs::symlink(&exe, &interp).map_err(|e| {
                    format!(
                        "cannot create {} -> {}: {e}",
                        interp.display(),
                        exe.display()
                    )
                })?;
            }
            if entry.exists() {
                std::fs::write(&entry, "-1")
                    .map_err(|e| format!("cannot remove the old entry {}: {e}", entry.display()))?;
            }
            let reg = Path::new(BINFMT_DIR).join("register");
            std::fs::write(&reg, format!("{line}\n")).map_err(|e| {
                format!(
                    "cannot write {} (binfmt_misc mounted? root?): {e}",
                    reg.display()
                )
            })?;
            println!("registered {ENTRY}: {line}");
            Ok(())
        }
        Action::Uninstall => {
            if args.dry_run {
                println!("echo -1 > {}", entry.display());
                return Ok(());
            }
            if !entry.exists() {
                println!("{ENTRY} is not registered");
                return Ok(());
            }
            std::fs::write(&entry, "-1")
                .map_err(|e| format!("cannot write {}: {e}", entry.display()))?;
            println!("unregistered {ENTRY}");
            Ok(())
        }
        Action::Status => {
            if !Path::new(BINFMT_DIR).join("status").exists() {
                println!("binfmt_misc is not mounted at {BINFMT_DIR}");
                return Ok(());
            }
            match std::fs::read_to_string(&entry) {
                Ok(s) => {
                    println!("{ENTRY} is registered ({}):", entry.display());
                    print!("{s}");
                }
                Err(_) => println!("{ENTRY} is not registered"),
            }
            Ok(())
        }
    }
}

/// When xlate runs as `xlate-binfmt` (the binfmt_misc interpreter, `P` flag), turns the
/// kernel's argument layout `[interp, path, argv0, args...]` into `xlate run` arguments that
/// run `path` with guest argv `[argv0, args...]`. With the `O` flag the kernel also passes the
/// open binary as AT_EXECFD; it is used when `path` cannot be opened (an execute-only file).
pub fn binfmt_argv(args: &[OsString]) -> Option<Vec<OsString>> {
    let name = Path::new(args.first()?).file_name()?;
    if name != INTERP_NAME {
        return None;
    }
    let path = args.get(1)?.clone();
    let mut prog = PathBuf::from(&path);
    if std::fs::File::open(&prog).is_err() {
        // SAFETY: getauxval only reads this process's auxiliary vector.
        let fd = unsafe { libc::getauxval(libc::AT_EXECFD) };
        if fd != 0 {
            prog = PathBuf::from(format!("/proc/self/fd/{fd}"));
        }
    }
    let argv0 = args.get(2).cloned().unwrap_or(path);
    let mut out: Vec<OsString> = vec!["xlate".into(), "run".into(), "--argv0".into(), argv0];
    out.push(prog.into_os_string());
    out.extend(args.iter().skip(3).cloned());
    Some(out)
}
