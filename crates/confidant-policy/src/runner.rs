//! Running scenario files: finding them, loading the policies they name
//! (built-in names, or paths relative to the scenario file), and checking
//! each decision. The only module of this crate that touches the file
//! system.

use crate::{Policy, PolicyError, Scenario, ScenarioError};
use confidant_core::decision::Decision;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a scenario file could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Scenario {
        file: PathBuf,
        source: ScenarioError,
    },
    #[error("{file}: field `policy`: {source}")]
    Policy { file: PathBuf, source: PolicyError },
    #[error("{file}: field `policy`: cannot read policy file {policy}: {source}")]
    PolicyRead {
        file: PathBuf,
        policy: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Decide { file: PathBuf, source: PolicyError },
}

/// Every `*.json` file under `paths` (files as given, folders recursively),
/// sorted within each folder.
pub fn collect_scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RunError> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    Ok(out)
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), RunError> {
    let meta = std::fs::metadata(p).map_err(|source| RunError::Read {
        file: p.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|source| RunError::Read {
                file: p.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || e.extension().is_some_and(|x| x == "json") {
                walk(&e, out)?;
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// Loads policies by the name or path a scenario gives, once each.
#[derive(Default)]
pub struct PolicyCache {
    loaded: HashMap<PathBuf, Arc<Policy>>,
}

impl PolicyCache {
    /// The policy a scenario in `scenario_file` names.
    pub fn get(&mut self, spec: &str, scenario_file: &Path) -> Result<Arc<Policy>, RunError> {
        let is_path = spec.ends_with(".toml") || spec.contains('/');
        let key = if is_path {
            let base = scenario_file.parent().unwrap_or(Path::new("."));
            let rel = base.join(spec);
            if rel.exists() {
                rel
            } else {
                PathBuf::from(spec)
            }
        } else {
            PathBuf::from(format!("builtin:{spec}"))
        };
        if let Some(p) = self.loaded.get(&key) {
            return Ok(Arc::clone(p));
        }
        let file = scenario_file.to_path_buf();
        let policy = if is_path {
            let text = std::fs::read_to_string(&key).map_err(|source| RunError::PolicyRead {
                file: file.clone(),
                policy: key.clone(),
                source,
            })?;
            Policy::from_toml_str(&text)
        } else {
            Policy::builtin(spec)
        }
        .map_err(|source| RunError::Policy { file, source })?;
        let policy = Arc::new(policy);
        self.loaded.insert(key, Arc::clone(&policy));
        Ok(policy)
    }
}

/// Reads and parses one scenario file.
pub fn load_scenario(file: &Path) -> Result<Scenario, RunError> {
    let text = std::fs::read_to_string(file).map_err(|source| RunError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    Scenario::from_json_str(&text).map_err(|source| RunError::Scenario {
        file: file.to_path_buf(),
        source,
    })
}

/// Reads a scenario and decides it.
pub fn decide_file(file: &Path, cache: &mut PolicyCache) -> Result<(Scenario, Decision), RunError> {
    let scenario = load_scenario(file)?;
    let policy = cache.get(&scenario.policy, file)?;
    let decision = policy
        .decide(&scenario.situation)
        .map_err(|source| RunError::Decide {
            file: file.to_path_buf(),
            source,
        })?;
    Ok((scenario, decision))
}

/// The result of one scenario.
#[derive(Debug)]
pub struct ScenarioResult {
    pub file: PathBuf,
    pub name: String,
    pub mismatches: Vec<String>,
}

impl ScenarioResult {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl fmt::Display for ScenarioResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        if self.passed() {
            write!(f, "PASS {file}: {}", self.name)
        } else {
            write!(
                f,
                "FAIL {file}: {}: {}",
                self.name,
                self.mismatches.join("; ")
            )
        }
    }
}

/// Runs every scenario under `paths`. Any malformed file is an error for
/// the whole run (nothing is reported as passed when a file could not even
/// be read).
pub fn run(paths: &[PathBuf]) -> Result<Vec<ScenarioResult>, RunError> {
    let files = collect_scenario_files(paths)?;
    let mut cache = PolicyCache::default();
    let mut loaded = Vec::with_capacity(files.len());
    for f in &files {
        let scenario = load_scenario(f)?;
        cache.get(&scenario.policy, f)?;
        loaded.push(scenario);
    }
    let mut out = Vec::with_capacity(files.len());
    for (file, scenario) in files.into_iter().zip(loaded) {
        let policy = cache.get(&scenario.policy, &file)?;
        let mismatches = match policy.decide(&scenario.situation) {
            Ok(d) => scenario.mismatches(&d),
            Err(e) => vec![format!("no decision: {e}")],
        };
        out.push(ScenarioResult {
            file,
            name: scenario.name,
            mismatches,
        });
    }
    Ok(out)
}
