//! The file-system jail and the other sandbox switches of a guest process: `--root DIR` makes
//! DIR the guest's `/` (every guest path is resolved by the host kernel's `openat2(2)` with
//! `RESOLVE_IN_ROOT`, so `..`, absolute and relative symlinks and magic links cannot leave it),
//! `--read-only` (anything that would change the file system fails with EROFS) and
//! `--no-network` (socket(2) fails with EACCES).
//!
//! How a guest path reaches the host under `--root`:
//! - the guest path is made absolute in guest terms: a relative path is appended to the
//!   guest path of its directory (the cwd, or the `*at` descriptor, read back from
//!   `/proc/self/fd`; a directory outside the root is refused with ENOENT);
//! - opens are `openat2(root, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`;
//! - calls that follow the last component (stat, chmod, truncate, ...) first open it that
//!   way with `O_PATH` and then act on `/proc/self/fd/N`, a name for exactly that file;
//! - calls that act on the last component itself (unlink, mkdir, rename, readlink, lstat, ...)
//!   open its parent that way and pass the host one plain name (no `/`, never `..`), so no
//!   concurrent rename can move the lookup outside the root.
//!
//! Without `--root` paths pass through unchanged (the `-L` prefix and `/proc/self/exe` aside).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::syscall::errno::*;
use super::syscall::{cstring, Args};
use super::Process;

/// Sandbox settings of a process (all off by default).
#[derive(Clone, Debug, Default)]
pub struct Sandbox {
    /// `--root`: the directory that is the guest's `/`.
    pub root: Option<Arc<Root>>,
    /// `--read-only`: the file system cannot be changed.
    pub read_only: bool,
    /// `--no-network`: no sockets.
    pub no_network: bool,
}

/// An open jail root.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    /// Its canonical host path (no trailing `/` unless it is `/`).
    path: PathBuf,
}

/// Why a root cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JailError {
    #[error("cannot use {0} as the guest root: {1}")]
    Open(PathBuf, std::io::Error),
    #[error("cannot use {0} as the guest root: the host kernel has no openat2 (Linux 5.6 or later is needed)")]
    NoOpenat2(PathBuf),
}

// openat2(2) (include/uapi/linux/openat2.h); the libc crate has the syscall number.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_IN_ROOT: u64 = 0x10;

fn openat2(dirfd: i32, path: &CString, flags: u64, mode: u64) -> Result<OwnedFd, Errno> {
    let how = OpenHow {
        flags,
        mode,
        resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: a host C string and a host open_how of the size passed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd,
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if r < 0 {
        // EAGAIN: the kernel saw a concurrent rename or mount and gave up (it never resolves
        // outside the root); the guest sees a transient failure as Linux would give EAGAIN
        // for RESOLVE_CACHED, which is the nearest meaning.
        return Err(Errno::last());
    }
    // SAFETY: openat2 returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(r as i32) })
}

impl Root {
    /// Opens `dir` as a jail root. Checks that the host kernel has openat2.
    pub fn new(dir: &Path) -> Result<Root, JailError> {
        let path = std::fs::canonicalize(dir).map_err(|e| JailError::Open(dir.into(), e))?;
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| JailError::Open(dir.into(), std::io::ErrorKind::InvalidInput.into()))?;
        // SAFETY: a host C string; flags are plain integers.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(JailError::Open(dir.into(), std::io::Error::last_os_error()));
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let root = Root { fd, path };
        if let Err(e) = openat2(
            root.fd.as_raw_fd(),
            &CString::from(c"/"),
            (libc::O_PATH | libc::O_CLOEXEC) as u64,
            0,
        ) {
            if e == ENOSYS {
                return Err(JailError::NoOpenat2(dir.into()));
            }
            return Err(JailError::Open(
                dir.into(),
                std::io::Error::from_raw_os_error(e.0),
            ));
        }
        Ok(root)
    }

    /// The host directory that is the guest's `/`.
    /// The host path of the regular file that guest path `path` (absolute, or relative to
    /// the current directory) names inside the root, for execve: ENOENT, ENOTDIR, ELOOP...
    /// as the lookup fails, EACCES for something that is not a regular file.
    pub fn resolve_guest_exec(&self, path: &[u8]) -> Result<std::path::PathBuf, Errno> {
        let fd = self.open(
            libc::AT_FDCWD,
            path,
            (libc::O_PATH | libc::O_CLOEXEC) as u64,
            0,
        )?;
        let host = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::ENOENT)))?;
        // The kernel resolved it inside the root; the check guards against surprises.
        if !host.starts_with(self.host_path()) || !host.is_file() {
            return Err(EACCES);
        }
        Ok(host)
    }

    pub fn host_path(&self) -> &Path {
        &self.path
    }

    /// The guest path of host path `host` (None when it is outside the root).
    pub fn guest_path_of(&self, host: &[u8]) -> Option<Vec<u8>> {
        let root = self.path.as_os_str().as_bytes();
        if root == b"/" {
            return Some(host.to_vec());
        }
        let rest = host.strip_prefix(root)?;
        match rest.first() {
            None => Some(b"/".to_vec()),
            Some(b'/') => Some(rest.to_vec()),
            _ => None,
        }
    }

    /// The guest path of a host directory descriptor (or the cwd for AT_FDCWD).
    fn guest_dir(&self, dirfd: i32) -> Result<Vec<u8>, Errno> {
        let host = if dirfd == libc::AT_FDCWD {
            std::env::current_dir()
                .map_err(|e| Errno::from_io(&e))?
                .into_os_string()
                .into_vec()
        } else {
            std::fs::read_link(format!("/proc/self/fd/{dirfd}"))
                .map_err(|_| EBADF)?
                .into_os_string()
                .into_vec()
        };
        if !host.starts_with(b"/") {
            // pipe:[...], socket:[...], anon_inode:...: not a directory.
            return Err(ENOTDIR);
        }
        self.guest_path_of(&host).ok_or(ENOENT)
    }

    /// A guest path relative to `dirfd`, made absolute in guest terms.
    fn absolute(&self, dirfd: i32, path: &[u8]) -> Result<Vec<u8>, Errno> {
        if path.first() == Some(&b'/') {
            return Ok(path.to_vec());
        }
        let mut base = self.guest_dir(dirfd)?;
        if base.last() != Some(&b'/') {
            base.push(b'/');
        }
        base.extend_from_slice(path);
        Ok(base)
    }

    /// Opens a guest path inside the root (the guest's openat).
    pub fn open(&self, dirfd: i32, path: &[u8], flags: u64, mode: u64) -> Result<OwnedFd, Errno> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        let abs = cstring(self.absolute(dirfd, path)?)?;
        // openat2 rejects unknown flag bits and a mode without O_CREAT/O_TMPFILE, where openat
        // ignores them: pass only what openat would act on.
        let flags = flags & KNOWN_OPEN_FLAGS;
        let creates = flags & (libc::O_CREAT as u64) != 0
            || flags & (libc::O_TMPFILE as u64) == libc::O_TMPFILE as u64;
        let mode = if creates { mode & 0o7777 } else { 0 };
        openat2(self.fd.as_raw_fd(), &abs, flags, mode)
    }
}

/// Open flags openat2 accepts (every flag openat acts on).
const KNOWN_OPEN_FLAGS: u64 = (libc::O_ACCMODE
    | libc::O_CREAT
    | libc::O_EXCL
    | libc::O_NOCTTY
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_DSYNC
    | libc::O_SYNC
    | libc::O_ASYNC
    | libc::O_DIRECT
    | libc::O_LARGEFILE
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME
    | libc::O_CLOEXEC
    | libc::O_PATH
    | libc::O_TMPFILE) as u64;

/// How a path syscall uses its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Follows a symlink in the last component (stat, chmod, truncate, chdir, ...).
    Follow,
    /// Acts on the last component itself (lstat, readlink, unlink, mkdir, rename, ...).
    Last,
}

/// A host (dirfd, path) pair for a guest path, with the descriptor that keeps it valid.
pub struct HostPath {
    _hold: Option<OwnedFd>,
    pub dirfd: libc::c_long,
    pub path: CString,
}

impl HostPath {
    /// A pair passed through unchanged (no jail).
    pub fn plain(dirfd: u64, path: CString) -> HostPath {
        HostPath {
            _hold: None,
            dirfd: dirfd as i32 as libc::c_long,
            path,
        }
    }

    pub fn dirfd_i32(&self) -> i32 {
        self.dirfd as i32
    }
}

/// The host form of guest path `path` relative to guest descriptor `dirfd` (AT_FDCWD or a
/// descriptor), for a syscall that uses it as `how` says. Without `--root` this is the
/// unchanged pair (after `-L` and `/proc/self/exe`, see `fs::host_path`). An empty path is
/// passed through as is (AT_EMPTY_PATH acts on the descriptor, which the guest already holds).
pub fn host_path(p: &Process, dirfd: u64, path: Vec<u8>, how: Use) -> Result<HostPath, Errno> {
    let dfd = dirfd as i32;
    let root = match &p.opts.sandbox.root {
        Some(r) if !path.is_empty() && !is_proc_self_exe(&path) => r.clone(),
        _ => {
            return Ok(HostPath {
                _hold: None,
                dirfd: dfd as libc::c_long,
                path: super::syscall::fs::host_path(p, path)?,
            })
        }
    };
    let o_path = (libc::O_PATH | libc::O_CLOEXEC) as u64;
    let magic = |fd: OwnedFd| -> Result<HostPath, Errno> {
        let path = cstring(format!("/proc/self/fd/{}", fd.as_raw_fd()).into_bytes())?;
        Ok(HostPath {
            _hold: Some(fd),
            dirfd: libc::AT_FDCWD as libc::c_long,
            path,
        })
    };
    let abs = root.absolute(dfd, &path)?;
    if how == Use::Follow {
        return magic(root.open(libc::AT_FDCWD, &abs, o_path, 0)?);
    }
    // Split off the last component (ignoring trailing slashes).
    let trimmed_len = abs.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
    let trimmed = &abs[..trimmed_len];
    let slash = trimmed.iter().rposition(|&c| c == b'/');
    let (parent, name) = match slash {
        Some(i) => (&trimmed[..i + 1], &trimmed[i + 1..]),
        None => (&b"/"[..], trimmed),
    };
    if name.is_empty() || name == b"." || name == b".." {
        // `/`, `x/.` or `x/..`: the directory itself, resolved inside the root, named `.`.
        let fd = root.open(libc::AT_FDCWD, &abs, o_path | libc::O_DIRECTORY as u64, 0)?;
        return Ok(HostPath {
            dirfd: fd.as_raw_fd() as libc::c_long,
            _hold: Some(fd),
            path: cstring(b".".to_vec())?,
        });
    }
    let fd = root.open(libc::AT_FDCWD, parent, o_path | libc::O_DIRECTORY as u64, 0)?;
    Ok(HostPath {
        dirfd: fd.as_raw_fd() as libc::c_long,
        _hold: Some(fd),
        path: cstring(name.to_vec())?,
    })
}

fn is_proc_self_exe(path: &[u8]) -> bool {
    path == b"/proc/self/exe" || path == format!("/proc/{}/exe", std::process::id()).as_bytes()
}

/// Syscalls the sandbox settings refuse before they run (`None`: go on as usual).
pub fn intercept(p: &Process, nr: u64, a: &Args) -> Option<Result<u64, Errno>> {
    use super::syscall::nr::*;
    let sb = &p.opts.sandbox;
    if sb.no_network && nr == SOCKET {
        return Some(Err(EACCES));
    }
    if sb.read_only {
        let writes = match nr {
            MKDIRAT | MKNODAT | UNLINKAT | RENAMEAT2 | SYMLINKAT | LINKAT | FCHMOD | FCHMODAT
            | FCHMODAT2 | FCHOWN | FCHOWNAT | UTIMENSAT | TRUNCATE | FTRUNCATE | FALLOCATE => true,
            OPENAT => {
                let f = a[2];
                f & super::syscall::fs::o::ACCMODE != 0
                    || f & (super::syscall::fs::o::CREAT | super::syscall::fs::o::TRUNC) != 0
                    || f & super::syscall::fs::o::TMPFILE == super::syscall::fs::o::TMPFILE
            }
            _ => false,
        };
        if writes {
            return Some(Err(EROFS));
        }
    }
    if sb.root.is_some() {
        if nr == KILL {
            return kill_check(a[0] as i32);
        }
        // A device node made inside the root would open the host device it names (xlate
        // running as root could write a disk): only files, FIFOs and sockets may be made.
        let kind = a[2] as u32 & libc::S_IFMT;
        if nr == MKNODAT && (kind == libc::S_IFCHR || kind == libc::S_IFBLK) {
            return Some(Err(EPERM));
        }
    }
    None
}

/// Under `--root`, kill(2) may reach only the guest itself and its own descendants: not the
/// process group (`kill(0)` and `kill(-pgid)` could hit the shell or script that started
/// xlate), not every process (`kill(-1)`), not another process of the same user. Returns
/// `Some(EPERM)` to refuse, `None` to let the syscall layer do it.
fn kill_check(pid: i32) -> Option<Result<u64, Errno>> {
    let me = std::process::id() as i32;
    if pid == me || pid == 0 {
        // The syscall layer signals the guest itself (see process::kill).
        return None;
    }
    if pid > 0 && is_descendant(pid, me) {
        return None;
    }
    Some(Err(EPERM))
}

/// Whether `pid` descends from `ancestor` (by its chain of parents in /proc).
fn is_descendant(mut pid: i32, ancestor: i32) -> bool {
    for _ in 0..64 {
        let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')'
        // ends it.
        let Some(close) = stat.iter().rposition(|&c| c == b')') else {
            return false;
        };
        let rest = String::from_utf8_lossy(&stat[close + 1..]).into_owned();
        let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok()) else {
            return false;
        };
        if ppid == ancestor {
            return true;
        }
        if ppid <= 1 {
            return false;
        }
        pid = ppid;
    }
    false
}

/// getcwd under `--root`: the guest path of the host cwd (ENOENT when it is outside).
pub fn guest_cwd(root: &Root) -> Result<Vec<u8>, Errno> {
    root.guest_dir(libc::AT_FDCWD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_paths_of_host_paths() {
        let r = Root {
            // SAFETY: a test descriptor (stdin duplicated), only dropped.
            fd: unsafe { OwnedFd::from_raw_fd(libc::dup(0)) },
            path: PathBuf::from("/tmp/jail"),
        };
        assert_eq!(r.guest_path_of(b"/tmp/jail"), Some(b"/".to_vec()));
        assert_eq!(r.guest_path_of(b"/tmp/jail/a/b"), Some(b"/a/b".to_vec()));
        assert_eq!(r.guest_path_of(b"/tmp/jailbreak"), None);
        assert_eq!(r.guest_path_of(b"/tmp"), None);
    }
}
