//! iolab: a laboratory for concurrent file I/O.
//!
//! The pipeline, one module per step (see `docs/ARCHITECTURE.md`):
//! experiment spec → corpus → scenario grid → executor (strategy × workload) →
//! measurement → results store → statistics → report / tuning / claims.
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
pub mod strategy;
#[allow(unsafe_code)]
#[doc(hidden)]
pub mod sys;
#[doc(hidden)]
pub mod tune;
pub mod workload;
