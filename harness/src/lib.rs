//! iolab: a laboratory for concurrent file I/O.
//!
//! As a library, iolab puts your own workload on its bench: implement
//! [`lab::UserWorkload`] and hand your binary's `main` to [`lab::Lab`]
//! (`docs/library.md`). That API is [`mod@lab`], [`describe`] (how a workload
//! describes itself), [`io`] (the file operations a task may use) and
//! [`workload`] (what a task sees and returns).
//!
//! The other modules are the `iolab` binary's pipeline, one module per step
//! (see `docs/ARCHITECTURE.md`): experiment spec → corpus → scenario grid →
//! executor (strategy × workload) → measurement → results store → statistics
//! → report / tuning / claims. They are crate-private, or `#[doc(hidden)]`
//! where the integration tests and benches reach them: no part of the API
//! ("What is public and why").
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod app;
#[doc(hidden)]
pub mod calibrate;
#[doc(hidden)]
pub mod catalog;
#[doc(hidden)]
pub mod claims;
#[doc(hidden)]
pub mod cli;
mod clients;
#[doc(hidden)]
pub mod corpus;
pub mod describe;
#[doc(hidden)]
pub mod experiment;
mod interrupt;
pub mod io;
pub mod lab;
#[doc(hidden)]
pub mod measure;
mod panics;
#[cfg(test)]
mod recipes;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod results;
mod runner;
#[doc(hidden)]
pub mod safefs;
#[doc(hidden)]
pub mod stats;
#[doc(hidden)]
pub mod storage;
#[doc(hidden)]
pub mod strategy;
#[allow(unsafe_code)]
#[doc(hidden)]
pub mod sys;
#[doc(hidden)]
pub mod tune;
pub mod workload;
