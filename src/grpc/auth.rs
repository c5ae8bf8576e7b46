//! Who is calling and what they may do: authentication (bearer tokens, client
//! certificates) and roles, as a tower layer in front of every service.
//!
//! Three roles, each including the one before: `reader` (checks, deadlines, evaluations,
//! business time, obligations, every get and list), `writer` (accounts, calendars,
//! contracts, designated contacts, obligation completions) and `admin` (plans). Health and
//! reflection are open to every caller the transport admits.
//!
//! A caller is identified by a bearer token (`authorization: Bearer <token>`, looked up in
//! the tokens file) or, under mTLS, by its client certificate, which rustls has already
//! verified against the client CA: the principal is the certificate's subject common name,
//! or its first DNS subject alternative name when it has no common name. A token, when one
//! is sent, decides (a wrong token is UNAUTHENTICATED even on a connection with a valid
//! certificate). A certificate principal gets the role the certificate roles file gives it,
//! or [`DEFAULT_CERTIFICATE_ROLE`]. With neither tokens nor a client CA configured there is
//! no authentication: every caller is [`ANONYMOUS`] with every role.
//!
//! The layer puts the caller's [`Principal`] into the request's extensions, where the
//! write handlers read it to record it on every revision (without authentication it
//! records nothing, and handlers record [`ANONYMOUS`]). Tokens are kept only as SHA-256
//! digests, compared in constant time, and never logged or printed.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use super::error::ApiError;
pub use super::role::Role;

/// The principal every call is attributed to when no authentication is configured.
pub const ANONYMOUS: &str = "anonymous";

/// The role of a verified client certificate whose principal the certificate roles file
/// does not list: any certificate the client CA signed may read; writing and
/// administering must be granted by name.
pub const DEFAULT_CERTIFICATE_ROLE: Role = Role::Reader;

/// Tokens shorter than this are refused when the tokens file is read.
pub const MIN_TOKEN_LEN: usize = 16;

/// An authenticated caller, as the auth layer puts it into a request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The name recorded on revisions: the token's principal, the certificate's CN or
    /// DNS name, or [`ANONYMOUS`].
    pub name: String,
    /// What the caller may do.
    pub role: Role,
}

impl Principal {
    /// The caller of a server without authentication.
    pub fn anonymous() -> Principal {
        Principal {
            name: ANONYMOUS.to_owned(),
            role: Role::Admin,
        }
    }
}

/// Services open to every caller the transport admits.
const OPEN_SERVICES: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Methods that need the writer role.
const WRITER_METHODS: [&str; 21] = [
    "/entitlements.v1.CaseService/CreateCase",
    "/entitlements.v1.CaseService/UpdateCase",
    "/entitlements.v1.CaseService/DeleteCase",
    "/entitlements.v1.CaseService/RecordFirstResponse",
    "/entitlements.v1.CaseService/RecordUpdate",
    "/entitlements.v1.CaseService/PauseCase",
    "/entitlements.v1.CaseService/ResumeCase",
    "/entitlements.v1.CaseService/ChangeCasePriority",
    "/entitlements.v1.CaseService/ResolveCase",
    "/entitlements.v1.AccountService/CreateAccount",
    "/entitlements.v1.AccountService/UpdateAccount",
    "/entitlements.v1.AccountService/DeleteAccount",
    "/entitlements.v1.AccountService/CreateCalendar",
    "/entitlements.v1.AccountService/UpdateCalendar",
    "/entitlements.v1.AccountService/DeleteCalendar",
    "/entitlements.v1.ContractService/CreateContract",
    "/entitlements.v1.ContractService/UpdateContract",
    "/entitlements.v1.ContractService/TerminateContract",
    "/entitlements.v1.ContractService/AddDesignatedContact",
    "/entitlements.v1.ContractService/RemoveDesignatedContact",
    "/entitlements.v1.SlaService/RecordObligationCompletion",
];

/// Methods that need the admin role (as does any path this server does not know, so
/// [`required_role`] needs no lookup here; the list documents them and the tests check it).
#[cfg_attr(not(test), allow(dead_code))]
const ADMIN_METHODS: [&str; 2] = [
    "/entitlements.v1.CatalogService/CreatePlan",
    "/entitlements.v1.CatalogService/UpdatePlan",
];

/// Methods open to readers.
const READER_METHODS: [&str; 21] = [
    "/entitlements.v1.CaseService/GetCase",
    "/entitlements.v1.CaseService/ListCases",
    "/entitlements.v1.EntitlementService/CheckEntitlement",
    "/entitlements.v1.EntitlementService/BatchCheckEntitlements",
    "/entitlements.v1.EntitlementService/GetEntitlements",
    "/entitlements.v1.EntitlementService/CheckSupportAvailability",
    "/entitlements.v1.SlaService/ComputeDeadline",
    "/entitlements.v1.SlaService/BatchComputeDeadlines",
    "/entitlements.v1.SlaService/EvaluateCase",
    "/entitlements.v1.SlaService/AddBusinessTime",
    "/entitlements.v1.SlaService/BusinessTimeBetween",
    "/entitlements.v1.SlaService/GetObligations",
    "/entitlements.v1.CatalogService/GetPlan",
    "/entitlements.v1.CatalogService/ListPlans",
    "/entitlements.v1.AccountService/GetAccount",
    "/entitlements.v1.AccountService/ListAccounts",
    "/entitlements.v1.AccountService/GetCalendar",
    "/entitlements.v1.AccountService/ListCalendars",
    "/entitlements.v1.ContractService/GetContract",
    "/entitlements.v1.ContractService/ListContracts",
    "/entitlements.v1.ContractService/ListContractRevisions",
];

/// Whether `path` (`/package.Service/Method`) belongs to health or reflection.
pub fn is_open(path: &str) -> bool {
    let service = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .map_or("", |(s, _)| s);
    OPEN_SERVICES.contains(&service)
}

/// The role a method needs; `None` for health and reflection. A path this server does not
/// know needs admin (it fails closed; an admin then sees UNIMPLEMENTED).
pub fn required_role(path: &str) -> Option<Role> {
    if is_open(path) {
        None
    } else if READER_METHODS.contains(&path) {
        Some(Role::Reader)
    } else if WRITER_METHODS.contains(&path) {
        Some(Role::Writer)
    } else {
        Some(Role::Admin)
    }
}

/// A credentials file that cannot be used. Never carries a token.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("{path}:{line}: {problem}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the token itself).
        problem: String,
    },
}

/// The meaningful lines of a credentials file: number and whitespace-separated fields,
/// without blank lines and `#` comments.
fn lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.split_once('#').map_or(line, |(before, _)| before);
        let fields: Vec<&str> = line.split_whitespace().collect();
        (!fields.is_empty()).then_some((i + 1, fields))
    })
}

fn read_file(path: &Path) -> Result<String, CredentialsError> {
    std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn role_field(path: &Path, line: usize, s: &str) -> Result<Role, CredentialsError> {
    Role::parse(s).ok_or_else(|| CredentialsError::Line {
        path: path.to_owned(),
        line,
        problem: format!("unknown role {s:?} (reader, writer or admin)"),
    })
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// The bearer tokens this server accepts: `role principal token` per line, `#` comments.
/// Only SHA-256 digests are kept.
#[derive(Clone)]
pub struct TokenTable {
    /// Each token's digest and whom it authenticates.
    entries: Vec<([u8; 32], Principal)>,
}

impl fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenTable")
            .field("tokens", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl TokenTable {
    /// Reads a tokens file.
    pub fn read(path: &Path) -> Result<TokenTable, CredentialsError> {
        Self::parse(&read_file(path)?, path)
    }

    /// Parses the text of a tokens file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<TokenTable, CredentialsError> {
        let mut entries: Vec<([u8; 32], Principal)> = Vec::new();
        for (line, fields) in lines(text) {
            let problem = |problem: String| CredentialsError::Line {
                path: path.to_owned(),
                line,
                problem,
            };
            let [role, name, token] = fields[..] else {
                return Err(problem(format!(
                    "expected `role principal token`, found {} fields",
                    fields.len()
                )));
            };
            let role = role_field(path, line, role)?;
            if token.len() < MIN_TOKEN_LEN {
                return Err(problem(format!(
                    "the token of {name} is shorter than {MIN_TOKEN_LEN} characters"
                )));
            }
            let d = digest(token.as_bytes());
            if entries.iter().any(|(e, _)| *e == d) {
                return Err(problem(format!(
                    "the token of {name} is also given to another principal"
                )));
            }
            entries.push((
                d,
                Principal {
                    name: name.to_owned(),
                    role,
                },
            ));
        }
        Ok(TokenTable { entries })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no token.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The principal `token` authenticates. Compares against every entry in constant
    /// time (digests of equal length), whichever matches.
    pub fn authenticate(&self, token: &[u8]) -> Option<&Principal> {
        let d = digest(token);
        let mut found = None;
        for (entry, principal) in &self.entries {
            if bool::from(entry.ct_eq(&d)) {
                found = Some(principal);
            }
        }
        found
    }
}

/// Roles of client-certificate principals: `role principal` per line, `#` comments.
/// Principals not listed get [`DEFAULT_CERTIFICATE_ROLE`].
#[derive(Debug, Clone, Default)]
pub struct CertificateRoles {
    /// Principal name to role.
    roles: HashMap<String, Role>,
}

impl CertificateRoles {
    /// Reads a certificate roles file.
    pub fn read(path: &Path) -> Result<CertificateRoles, CredentialsError> {
        Self::parse(&read_file(path)?, path)
    }

    /// Parses the text of a certificate roles file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<CertificateRoles, CredentialsError> {
        let mut roles = HashMap::new();
        for (line, fields) in lines(text) {
            let [role, name] = fields[..] else {
                return Err(CredentialsError::Line {
                    path: path.to_owned(),
                    line,
                    problem: format!("expected `role principal`, found {} fields", fields.len()),
                });
            };
            let role = role_field(path, line, role)?;
            if roles.insert(name.to_owned(), role).is_some() {
                return Err(CredentialsError::Line {
                    path: path.to_owned(),
                    line,
                    problem: format!("{name} is listed twice"),
                });
            }
        }
        Ok(CertificateRoles { roles })
    }

    /// The role of a verified certificate principal.
    pub fn role_of(&self, principal: &str) -> Role {
        self.roles
            .get(principal)
            .copied()
            .unwrap_or(DEFAULT_CERTIFICATE_ROLE)
    }
}

/// The principal name a client certificate (DER) carries: its subject common name, or its
/// first DNS subject alternative name.
pub fn certificate_principal(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    if let Some(cn) = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .filter(|cn| !cn.is_empty())
    {
        return Some(cn.to_owned());
    }
    let san = cert.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|name| match name {
        x509_parser::extensions::GeneralName::DNSName(dns) if !dns.is_empty() => {
            Some((*dns).to_owned())
        }
        _ => None,
    })
}

/// How callers are authenticated: the configured credentials.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    /// Bearer tokens, when a tokens file is configured.
    tokens: Option<Arc<TokenTable>>,
    /// Roles of certificate principals, when client certificates are verified (mTLS).
    certificates: Option<Arc<CertificateRoles>>,
}

/// Why a call is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Neither a bearer token nor a client certificate.
    NoCredentials,
    /// The authorization header is not `Bearer <token>`.
    MalformedToken,
    /// The token is not in the tokens file.
    UnknownToken,
    /// The client certificate names no principal.
    NoCertificatePrincipal,
}

impl AuthFailure {
    /// What the caller is told.
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::NoCredentials => {
                "credentials required: a bearer token or a client certificate"
            }
            AuthFailure::MalformedToken => "the authorization metadata must be `Bearer <token>`",
            AuthFailure::UnknownToken => "the bearer token is not valid",
            AuthFailure::NoCertificatePrincipal => {
                "the client certificate has no common name and no DNS name"
            }
        }
    }
}

impl Authenticator {
    /// No authentication: every caller is [`ANONYMOUS`] with every role.
    pub fn none() -> Authenticator {
        Authenticator::default()
    }

    /// Authentication with the given tokens and, under mTLS, certificate roles.
    pub fn new(tokens: Option<TokenTable>, certificates: Option<CertificateRoles>) -> Self {
        Authenticator {
            tokens: tokens.map(Arc::new),
            certificates: certificates.map(Arc::new),
        }
    }

    /// Whether any authentication is configured.
    pub fn is_enabled(&self) -> bool {
        self.tokens.is_some() || self.certificates.is_some()
    }

    /// Whether bearer tokens are accepted.
    pub fn accepts_tokens(&self) -> bool {
        self.tokens.is_some()
    }

    /// Whether client certificates identify callers (mTLS).
    pub fn accepts_certificates(&self) -> bool {
        self.certificates.is_some()
    }

    /// The caller of `req`.
    pub fn authenticate<B>(&self, req: &http::Request<B>) -> Result<Principal, AuthFailure> {
        if !self.is_enabled() {
            return Ok(Principal::anonymous());
        }
        if let Some(value) = req.headers().get(http::header::AUTHORIZATION) {
            let tokens = self.tokens.as_ref().ok_or(AuthFailure::UnknownToken)?;
            let bytes = value.as_bytes();
            let token = bytes
                .get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case(b"bearer "))
                .map(|_| bytes[7..].trim_ascii())
                .filter(|t| !t.is_empty())
                .ok_or(AuthFailure::MalformedToken)?;
            return tokens
                .authenticate(token)
                .cloned()
                .ok_or(AuthFailure::UnknownToken);
        }
        if let Some(roles) = &self.certificates
            && let Some(certs) = req
                .extensions()
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|info| info.peer_certs())
            && let Some(leaf) = certs.first()
        {
            let name = certificate_principal(leaf).ok_or(AuthFailure::NoCertificatePrincipal)?;
            let role = roles.role_of(&name);
            return Ok(Principal { name, role });
        }
        Err(AuthFailure::NoCredentials)
    }
}

/// Authenticates and authorizes every call of a server.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    /// The configured credentials.
    auth: Authenticator,
}

impl AuthLayer {
    /// The layer for `auth`.
    pub fn new(auth: Authenticator) -> Self {
        AuthLayer { auth }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            auth: self.auth.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct Auth<S> {
    /// The routes.
    inner: S,
    /// The configured credentials.
    auth: Authenticator,
}

pin_project_lite::pin_project! {
    /// The response future of [`Auth`]: a refusal, or the routes' answer.
    #[project = AuthFutureProj]
    #[derive(Debug)]
    pub enum AuthFuture<F> {
        /// Refused before reaching the routes.
        Refused { response: Option<http::Response<Body>> },
        /// Passed on.
        Admitted { #[pin] inner: F },
    }
}

impl<F, E> Future for AuthFuture<F>
where
    F: Future<Output = Result<http::Response<Body>, E>>,
{
    type Output = Result<http::Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            AuthFutureProj::Refused { response } => Poll::Ready(Ok(response
                .take()
                .expect("AuthFuture polled after completion"))),
            AuthFutureProj::Admitted { inner } => inner.poll(cx),
        }
    }
}

impl<S, B> Service<http::Request<B>> for Auth<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = AuthFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        // Without authentication every caller is anonymous with every role; handlers
        // record that name when no principal is recorded (`guard::Caller::of`).
        if !self.auth.is_enabled() {
            return AuthFuture::Admitted {
                inner: self.inner.call(req),
            };
        }
        let Some(needed) = required_role(req.uri().path()) else {
            return AuthFuture::Admitted {
                inner: self.inner.call(req),
            };
        };
        let refusal = match self.auth.authenticate(&req) {
            Err(failure) => ApiError::Unauthenticated(failure.message()),
            Ok(principal) if principal.role < needed => ApiError::PermissionDenied {
                principal: principal.name,
                role: principal.role,
                needed,
            },
            Ok(principal) => {
                req.extensions_mut().insert(principal);
                return AuthFuture::Admitted {
                    inner: self.inner.call(req),
                };
            }
        };
        let status: tonic::Status = refusal.into();
        AuthFuture::Refused {
            response: Some(status.into_http()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn every_method_of_every_service_has_an_explicit_role() {
        let set = prost_types::FileDescriptorSet::decode(crate::grpc::pb::FILE_DESCRIPTOR_SET)
            .expect("descriptor set");
        let mut seen = 0;
        for file in &set.file {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    let listed = [
                        READER_METHODS.contains(&path.as_str()),
                        WRITER_METHODS.contains(&path.as_str()),
                        ADMIN_METHODS.contains(&path.as_str()),
                    ];
                    assert_eq!(
                        listed.iter().filter(|l| **l).count(),
                        1,
                        "{path} must be in exactly one role list"
                    );
                    seen += 1;
                }
            }
        }
        assert_eq!(
            seen,
            READER_METHODS.len() + WRITER_METHODS.len() + ADMIN_METHODS.len()
        );
    }

    #[test]
    fn tokens_file_parses_and_refuses_bad_lines_without_echoing_tokens() {
        let path = Path::new("tokens");
        let table = TokenTable::parse(
            "# role principal token\nreader phone 0123456789abcdef\n\nadmin ops fedcba9876543210 # ops\n",
            path,
        )
        .unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(
            table.authenticate(b"0123456789abcdef").unwrap().name,
            "phone"
        );
        assert_eq!(
            table.authenticate(b"fedcba9876543210").unwrap().role,
            Role::Admin
        );
        assert!(table.authenticate(b"0123456789abcdeF").is_none());
        assert!(!format!("{table:?}").contains("0123456789abcdef"));
        for (bad, what) in [
            ("reader phone", "fields"),
            ("root phone 0123456789abcdef", "unknown role"),
            ("reader phone short-secret", "shorter"),
            (
                "reader a 0123456789abcdef\nwriter b 0123456789abcdef",
                "another principal",
            ),
        ] {
            let e = TokenTable::parse(bad, path).unwrap_err().to_string();
            assert!(e.contains(what), "{bad}: {e}");
            assert!(!e.contains("0123456789abcdef") && !e.contains("short-secret"));
        }
    }

    #[test]
    fn certificate_roles_default_to_reader() {
        let roles =
            CertificateRoles::parse("writer portal\nadmin ops.example.com\n", Path::new("r"))
                .unwrap();
        assert_eq!(roles.role_of("portal"), Role::Writer);
        assert_eq!(roles.role_of("ops.example.com"), Role::Admin);
        assert_eq!(roles.role_of("someone-else"), Role::Reader);
        assert!(CertificateRoles::parse("writer a\nadmin a\n", Path::new("r")).is_err());
        assert!(CertificateRoles::parse("writer\n", Path::new("r")).is_err());
    }
}
