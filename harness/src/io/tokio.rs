//! The tokio backend: the aiofiles model. Every file operation is sent on its
//! own to tokio's blocking thread pool, as aiofiles sends each call to a
//! thread-pool executor, and the event loop awaits it.
//!
//! This module owns [`TokioFs`] and [`run_tokio`], which builds the event loop
//! (a current-thread runtime) with a blocking pool of a chosen size. It does
//! not decide how many operations run at once: that is the strategy's lanes.
//!
//! Operations need a tokio runtime: outside one (not under [`run_tokio`] or
//! another runtime) each returns an error instead of panicking.

use std::fs::File;
use std::future::Future;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use tokio::runtime::{Builder, Handle};

use super::{Buf, BufResult, Io, Open, Stat};

/// File operations on tokio's blocking pool, one pool task per call.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioFs;

/// Run `fut` on a current-thread tokio runtime whose blocking pool has
/// `workers` threads (the event loop + thread pool of aiofiles). A `workers`
/// of 0 is taken as 1.
///
/// # Errors
/// When the runtime cannot be built (the OS refused a thread or timer).
pub fn run_tokio<F: Future>(workers: usize, fut: F) -> io::Result<F::Output> {
    let runtime = Builder::new_current_thread()
        .max_blocking_threads(workers.max(1))
        .thread_name("iolab-tokio-blocking")
        .enable_all()
        .build()?;
    Ok(runtime.block_on(fut))
}

impl TokioFs {
    /// Run `f` whole on tokio's blocking pool and await it: how a task made
    /// of plain blocking calls runs under the tokio strategy (one pool task
    /// per workload task, as `spawn_blocking` around a synchronous function).
    ///
    /// # Errors
    /// Outside a runtime, or when the pool task was cancelled.
    ///
    /// # Panics
    /// When `f` panics: the panic is caught on the pool's thread and raised
    /// again on the caller's with its message and place
    /// (`crate::panics::Panicked`), for the caller's lane to fail the task.
    pub async fn on_pool<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> io::Result<T> {
        match blocking(move || crate::panics::catch(f)).await? {
            Ok(value) => Ok(value),
            Err(message) => std::panic::resume_unwind(Box::new(crate::panics::Panicked(message))),
        }
    }
}

/// The handle of the runtime we are in.
///
/// # Errors
/// `Other` outside a tokio runtime.
fn handle() -> io::Result<Handle> {
    Handle::try_current()
        .map_err(|e| io::Error::other(format!("TokioFs used outside a tokio runtime: {e}")))
}

/// Run `f` on the blocking pool and await it.
///
/// # Errors
/// Outside a runtime, or when the pool task panicked or was cancelled.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    handle()?
        .spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(format!("blocking-pool task failed: {e}")))
}

/// Run a buffer operation on the pool; a lost task loses its buffer (an empty
/// one comes back with the error).
async fn with_buf(f: impl FnOnce() -> BufResult + Send + 'static) -> BufResult {
    match blocking(f).await {
        Ok(res) => res,
        Err(e) => (Err(e), Buf::default()),
    }
}

impl Io for TokioFs {
    type File = Arc<File>;

    fn name(&self) -> &'static str {
        "tokio"
    }

    fn backend(&self) -> super::Backend<'_> {
        super::Backend::Tokio(self)
    }

    async fn open(&self, path: &Path, how: Open) -> io::Result<Arc<File>> {
        handle()?;
        let mut options = tokio::fs::OpenOptions::new();
        options
            .read(how.read)
            .write(how.write)
            .create(how.create)
            .create_new(how.create && how.exclusive)
            .truncate(how.truncate)
            .append(how.append)
            .custom_flags(super::blocking::extra_flags(how));
        let file = options.open(path).await?;
        Ok(Arc::new(file.into_std().await))
    }

    async fn read_at(&self, file: &Arc<File>, mut buf: Buf, offset: u64) -> BufResult {
        let file = Arc::clone(file);
        with_buf(move || {
            let res = file.read_at(buf.as_mut_slice(), offset);
            (res, buf)
        })
        .await
    }

    async fn write_at(&self, file: &Arc<File>, buf: Buf, offset: u64) -> BufResult {
        let file = Arc::clone(file);
        with_buf(move || {
            let res = file.write_at(buf.as_slice(), offset);
            (res, buf)
        })
        .await
    }

    async fn write(&self, file: &Arc<File>, buf: Buf) -> BufResult {
        let file = Arc::clone(file);
        with_buf(move || {
            let res = (&*file).write(buf.as_slice());
            (res, buf)
        })
        .await
    }

    async fn sync_all(&self, file: &Arc<File>) -> io::Result<()> {
        let file = Arc::clone(file);
        blocking(move || file.sync_all()).await?
    }

    /// Drops the handle on the pool (`close(2)` there, as aiofiles does). If
    /// other clones of the `Arc` exist, the descriptor closes with the last.
    async fn close(&self, file: Arc<File>) -> io::Result<()> {
        blocking(move || drop(file)).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        handle()?;
        tokio::fs::rename(from, to).await
    }

    async fn size(&self, file: &Arc<File>) -> io::Result<u64> {
        let file = Arc::clone(file);
        blocking(move || file.metadata().map(|m| m.len())).await?
    }

    /// `lstat` on the pool (as `aiofiles.os.stat(…, follow_symlinks=False)`).
    async fn stat(&self, path: &Path) -> io::Result<Stat> {
        let path = path.to_path_buf();
        blocking(move || super::blocking::lstat(&path)).await?
    }

    async fn unlink(&self, path: &Path) -> io::Result<()> {
        handle()?;
        tokio::fs::remove_file(path).await
    }

    async fn copy_file(&self, from: &Path, to: &Path) -> io::Result<u64> {
        let (from, to) = (from.to_path_buf(), to.to_path_buf());
        blocking(move || crate::safefs::copy_new(&from, &to)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{read_exact_at, write_all_at};
    use futures::future::join_all;

    #[test]
    fn written_bytes_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let io = TokioFs;
        let back = run_tokio(2, async {
            let file = io.open(&path, Open::CREATE).await.unwrap();
            let (res, _) = write_all_at(&io, &file, Buf::from_vec(data.clone()), 0).await;
            assert_eq!(res.unwrap(), data.len());
            io.sync_all(&file).await.unwrap();
            io.close(file).await.unwrap();
            let file = io.open(&path, Open::READ).await.unwrap();
            let (res, buf) = read_exact_at(&io, &file, Buf::zeroed(data.len()), 0).await;
            assert_eq!(res.unwrap(), data.len());
            io.close(file).await.unwrap();
            buf.into_vec()
        })
        .unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn concurrent_appends_stay_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let io = TokioFs;
        run_tokio(4, async {
            let file = io.open(&path, Open::APPEND).await.unwrap();
            let writes = (0..50).map(|i| {
                let line = format!("line {i:02} {}\n", "x".repeat(40));
                io.write(&file, Buf::from_vec(line.into_bytes()))
            });
            for (res, buf) in join_all(writes).await {
                assert_eq!(res.unwrap(), buf.len());
            }
            io.close(file).await.unwrap();
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 50);
        lines.sort_unstable();
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(*line, format!("line {i:02} {}", "x".repeat(40)));
        }
    }

    #[test]
    fn rename_moves_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&from, b"hello").unwrap();
        run_tokio(1, TokioFs.rename(&from, &to)).unwrap().unwrap();
        assert!(!from.exists());
        assert_eq!(std::fs::read(&to).unwrap(), b"hello");
    }

    #[test]
    fn size_is_the_file_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; 12_345]).unwrap();
        let io = TokioFs;
        let size = run_tokio(1, async {
            let file = io.open(&path, Open::READ).await.unwrap();
            io.size(&file).await
        })
        .unwrap();
        assert_eq!(size.unwrap(), 12_345);
    }

    #[test]
    fn missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = run_tokio(1, TokioFs.open(&dir.path().join("missing"), Open::READ))
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn copy_file_copies_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&from, vec![3u8; 5000]).unwrap();
        let copied = run_tokio(1, TokioFs.copy_file(&from, &to))
            .unwrap()
            .unwrap();
        assert_eq!(copied, 5000);
        assert_eq!(std::fs::read(&to).unwrap(), vec![3u8; 5000]);
    }

    #[test]
    fn outside_a_runtime_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let err = futures::executor::block_on(TokioFs.open(&dir.path().join("f"), Open::CREATE))
            .unwrap_err();
        assert!(err.to_string().contains("outside a tokio runtime"), "{err}");
        assert!(!dir.path().join("f").exists());
    }
}
