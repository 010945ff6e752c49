//! MPI ranks as clients (cargo feature `mpi`): rsmpi over the system's MPI.
//! Every collective call is made from the main thread
//! (`MPI_THREAD_FUNNELED`); the world communicator is the set of clients.

use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use mpi::Count;

use super::{Clients, LaunchError};

/// The MPI world (finalised when dropped), or a sub-communicator of it
/// (`--ranks`: freed when dropped, before the world).
pub(super) struct Mpi {
    world: SimpleCommunicator,
    // Dropping the universe calls MPI_Finalize: keep it last and alive.
    // `None` on a sub-communicator, which the world outlives.
    _universe: Option<Universe>,
}

impl Mpi {
    /// `MPI_Init_thread` with `MPI_THREAD_FUNNELED`.
    pub(super) fn initialize() -> Result<Mpi, LaunchError> {
        let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)
            .ok_or_else(|| LaunchError::Init("MPI was already initialised".into()))?;
        Ok(Mpi {
            world: universe.world(),
            _universe: Some(universe),
        })
    }
}

/// At the exit of a command every rank ends alike: one barrier of every
/// rank (MPI started for it and finalised after, unless this process has
/// used MPI already: then its ranks met while it ran).
pub(super) fn barrier_at_exit() {
    if mpi::environment::is_initialized() {
        return;
    }
    if let Some(universe) = mpi::initialize() {
        universe.world().barrier();
    }
}

impl Clients for Mpi {
    fn rank(&self) -> u32 {
        self.world.rank() as u32
    }

    fn size(&self) -> u32 {
        self.world.size() as u32
    }

    fn barrier(&self) {
        self.world.barrier();
    }

    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let root = self.world.process_at_rank(0);
        let len = bytes.len() as Count;
        if self.world.rank() != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(bytes);
            return Vec::new();
        }
        let mut counts = vec![0 as Count; self.world.size() as usize];
        root.gather_into_root(&len, &mut counts[..]);
        let displs: Vec<Count> = counts
            .iter()
            .scan(0, |at, c| {
                let d = *at;
                *at += c;
                Some(d)
            })
            .collect();
        let total: Count = counts.iter().sum();
        let mut buf = vec![0u8; total as usize];
        {
            let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(bytes, &mut part);
        }
        counts
            .iter()
            .zip(&displs)
            .map(|(c, d)| buf[*d as usize..(*d + *c) as usize].to_vec())
            .collect()
    }

    fn broadcast(&self, bytes: &[u8]) -> Vec<u8> {
        let root = self.world.process_at_rank(0);
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        let mut buf = if self.world.rank() == 0 {
            bytes.to_vec()
        } else {
            vec![0u8; len as usize]
        };
        root.broadcast_into(&mut buf[..]);
        buf
    }

    fn max(&self, value: u64) -> u64 {
        let mut out = 0u64;
        self.world
            .all_reduce_into(&value, &mut out, mpi::collective::SystemOperation::max());
        out
    }

    fn abort(&self, code: i32) {
        self.world.abort(code)
    }

    fn host(&self) -> String {
        mpi::environment::processor_name().unwrap_or_else(|_| super::hostname())
    }

    fn split(&self, n: u32) -> Option<Box<dyn Clients>> {
        let color = match self.rank() < n {
            true => Color::with_value(0),
            false => Color::undefined(),
        };
        // Key 0 everywhere: ties keep the world's order, so each rank of
        // the sub-communicator keeps its world rank.
        let sub = self.world.split_by_color(color)?;
        Some(Box::new(Mpi {
            world: sub,
            _universe: None,
        }))
    }

    fn idle_barrier(&self) {
        let mut request = self.world.immediate_barrier();
        loop {
            match request.test() {
                Ok(_) => return,
                Err(pending) => request = pending,
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}
