//! The errors tonic answers by itself, before any handler runs: request bytes that do not
//! decode (not protobuf, a string that is not UTF-8), a frame cut short or missing, a
//! message over the size limit, an unknown method or encoding. Tonic sends these bare
//! (INTERNAL for a decode failure, no details at all); [`explain`] gives them the shape
//! of every other error of this service: INVALID_ARGUMENT for what the client sent wrong,
//! an `ErrorInfo` with a stable reason, a `BadRequest` naming the field where prost names
//! it, and a bounded message.
//!
//! Why here and not in a codec: health and reflection bring their own codecs, and frame
//! errors (a cut frame, a bad compression flag) never reach a codec. Every error this
//! service's own code raises carries details, so a status without details is one of
//! tonic's.

use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use super::error::{invalid, status};
use crate::reason::Reason;

/// What prost's `DecodeError` message starts with.
const DECODE_FAILURE: &str = "failed to decode Protobuf message: ";

/// `response` as sent, or, when it is an error tonic raised without details, the same
/// error explained.
pub(crate) fn explain(response: http::Response<Body>) -> http::Response<Body> {
    let headers = response.headers();
    if !headers.contains_key("grpc-status") || headers.contains_key("grpc-status-details-bin") {
        return response;
    }
    match Status::from_header_map(headers) {
        Some(bare) if bare.code() != Code::Ok => describe(&bare).into_http(),
        _ => response,
    }
}

/// The explained form of a bare status tonic raised.
fn describe(bare: &Status) -> Status {
    let message = bare.message();
    match bare.code() {
        // Tonic's INTERNAL without details is always about the request's bytes: a decode
        // failure, a cut frame, no message, a compression flag it cannot honour.
        Code::Internal | Code::InvalidArgument => match message.strip_prefix(DECODE_FAILURE) {
            Some(rest) => {
                let (field, what) = decode_failure(rest);
                let text = match &field {
                    Some(field) => format!("malformed request: {field}: {what}"),
                    None => format!("malformed request: {what}"),
                };
                match field {
                    Some(field) => invalid(&field, text, Reason::MalformedRequest),
                    None => plain(Code::InvalidArgument, text, Reason::MalformedRequest),
                }
            }
            None => plain(
                Code::InvalidArgument,
                format!("malformed request: {message}"),
                Reason::MalformedRequest,
            ),
        },
        Code::OutOfRange => plain(
            Code::OutOfRange,
            format!("the request message is too large: {message}"),
            Reason::MessageTooLarge,
        ),
        Code::Unimplemented => {
            let text = if message.is_empty() {
                "this server has no such method".to_owned()
            } else {
                message.to_owned()
            };
            plain(Code::Unimplemented, text, Reason::Unimplemented)
        }
        code => plain(code, message.to_owned(), Reason::ProtocolError),
    }
}

fn plain(code: Code, message: String, reason: Reason) -> Status {
    status(code, message, reason, ErrorDetails::new())
}

/// The request field and the problem in the rest of prost's message. Prost writes the
/// fields it was decoding innermost first (`Calendar.time_zone: CreateCalendarRequest.
/// calendar: invalid string value`), so the path is their field names outermost first
/// (`calendar.time_zone`).
fn decode_failure(rest: &str) -> (Option<String>, &str) {
    let mut fields = Vec::new();
    let mut what = rest;
    while let Some((frame, tail)) = what.split_once(": ") {
        match frame.split_once('.') {
            Some((message, field)) if is_ident(message) && is_ident(field) => {
                fields.push(field);
                what = tail;
            }
            _ => break,
        }
    }
    if fields.is_empty() {
        return (None, what);
    }
    fields.reverse();
    (Some(fields.join(".")), what)
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;

    #[test]
    fn a_decode_failure_names_the_field_outermost_first() {
        let (field, what) = decode_failure(
            "Calendar.time_zone: CreateCalendarRequest.calendar: invalid string value: data is not UTF-8 encoded",
        );
        assert_eq!(field.as_deref(), Some("calendar.time_zone"));
        assert_eq!(what, "invalid string value: data is not UTF-8 encoded");
        assert_eq!(decode_failure("invalid varint"), (None, "invalid varint"));
    }

    #[test]
    fn bare_statuses_become_explained_ones() {
        let cases = [
            (
                Status::internal(format!(
                    "{DECODE_FAILURE}GetAccountRequest.name: invalid string value: data is not UTF-8 encoded"
                )),
                Code::InvalidArgument,
                "MALFORMED_REQUEST",
                Some("name"),
            ),
            (
                Status::internal(format!("{DECODE_FAILURE}invalid varint")),
                Code::InvalidArgument,
                "MALFORMED_REQUEST",
                None,
            ),
            (
                Status::internal("Unexpected EOF decoding stream."),
                Code::InvalidArgument,
                "MALFORMED_REQUEST",
                None,
            ),
            (
                Status::out_of_range(
                    "Error, decoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes",
                ),
                Code::OutOfRange,
                "MESSAGE_TOO_LARGE",
                None,
            ),
            (
                Status::unimplemented(""),
                Code::Unimplemented,
                "UNIMPLEMENTED",
                None,
            ),
        ];
        for (bare, code, reason, field) in cases {
            let explained = describe(&bare);
            assert_eq!(explained.code(), code, "{bare:?}");
            let details = explained.get_error_details();
            assert_eq!(details.error_info().unwrap().reason, reason, "{bare:?}");
            let violation = details
                .bad_request()
                .and_then(|b| b.field_violations.first())
                .map(|v| v.field.as_str());
            assert_eq!(violation, field, "{bare:?}");
            assert!(!explained.message().is_empty());
        }
    }

    #[test]
    fn an_answer_with_details_or_without_error_is_left_alone() {
        let ok = http::Response::new(Body::empty());
        assert!(explain(ok).headers().get("grpc-status").is_none());
        let with_details: Status = status(
            Code::NotFound,
            "the resource was not found".into(),
            Reason::NotFound,
            ErrorDetails::new(),
        );
        let response = explain(with_details.clone().into_http());
        let back = Status::from_header_map(response.headers()).unwrap();
        assert_eq!(back.code(), Code::NotFound);
        assert_eq!(back.details(), with_details.details());
    }
}
