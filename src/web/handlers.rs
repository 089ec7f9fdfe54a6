//! What the API's handlers share, whatever their model: running the library on the blocking
//! pool, and `DELETE` of one row.

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;

use super::errors::ApiError;
use crate::{Database, Error, ModelId};

/// Runs `work` on the blocking pool, where Diesel's calls belong; a panic there is answered
/// with a 500 (in the JSON the API promises), not a dropped connection.
pub(super) async fn blocking<T, F>(db: Database, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Database) -> crate::Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || work(&db))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?
        .map_err(ApiError::from)
}

/// `DELETE` of one row of any model, its id made by `id_of`: 204, 404 for an unknown id, and
/// the library's other refusals answered by `refusal` (a model whose rows others refer to says
/// so in its own words).
pub(super) async fn remove_refusing<I: ModelId + Send + 'static>(
    db: Database,
    id: Result<Path<i64>, PathRejection>,
    id_of: fn(i64) -> I,
    refusal: impl FnOnce(Error) -> ApiError,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    blocking(db, move |db| Ok(db.transaction(|s| s.delete(id_of(id)))))
        .await?
        .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}
