//! iolab: a laboratory for concurrent file I/O.
//!
//! The pipeline, one module per step (see `docs/ARCHITECTURE.md`):
//! experiment spec → corpus → scenario grid → executor (strategy × workload) →
//! measurement → results store → statistics → report / tuning / claims.
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod calibrate;
pub mod catalog;
pub mod claims;
pub mod cli;
pub mod clients;
pub mod corpus;
pub mod describe;
pub mod experiment;
pub mod interrupt;
pub mod io;
pub mod lab;
pub mod measure;
pub mod panics;
#[cfg(test)]
mod recipes;
pub mod report;
pub mod results;
pub mod runner;
pub mod safefs;
pub mod stats;
pub mod storage;
pub mod strategy;
#[allow(unsafe_code)]
pub mod sys;
pub mod tune;
pub mod workload;
