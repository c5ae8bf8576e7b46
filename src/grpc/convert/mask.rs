//! Field masks: the paths an update touches (`UpdateMask`).

use std::collections::BTreeSet;

use crate::grpc::error::ApiError;

type Result<T> = std::result::Result<T, ApiError>;

/// The paths an update touches: `Some(paths)` from an explicit mask (`*` = all mutable
/// paths), `None` for "every populated field" (absent or empty mask).
#[derive(Debug)]
pub struct UpdateMask(Option<BTreeSet<String>>);

impl UpdateMask {
    /// Parses a mask against the resource's mutable paths; paths of output-only fields
    /// are ignored, any other path is INVALID_ARGUMENT.
    pub fn parse(
        m: &Option<prost_types::FieldMask>,
        mutable: &[&str],
        output_only: &[&str],
    ) -> Result<UpdateMask> {
        let paths = match m {
            Some(m) if !m.paths.is_empty() => m.paths.clone(),
            _ => return Ok(UpdateMask(None)),
        };
        let mut set = BTreeSet::new();
        for p in paths {
            if p == "*" {
                set.extend(mutable.iter().map(|s| s.to_string()));
            } else if mutable.contains(&p.as_str()) {
                set.insert(p);
            } else if !output_only.contains(&p.as_str()) {
                return Err(ApiError::field(
                    "update_mask",
                    format!(
                        "{p:?} is not a mutable field; use one of {}",
                        mutable.join(", ")
                    ),
                ));
            }
        }
        Ok(UpdateMask(Some(set)))
    }

    /// Whether `path` is to be updated; `populated` says if the request set it.
    pub fn wants(&self, path: &str, populated: bool) -> bool {
        match &self.0 {
            None => populated,
            Some(set) => set.contains(path),
        }
    }
}
