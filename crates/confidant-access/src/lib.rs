//! Who may do what to which record.
//!
//! The rules are a Cedar policy (`policy/default.cedar`, readable and
//! adjustable by a service) checked against Confidant's schema
//! (`policy/schema.cedarschema`). This crate holds the vocabulary the server
//! speaks to it in (roles, operations, the facts about a record that the
//! policy may use: who is assigned, who supervises, who leads a programme,
//! who a matter was escalated to) and the authoriser, which fails closed:
//! any error building or evaluating a request is a refusal.
//!
//! The policy sees ids only, never a name or a note: it is asked whether a
//! user may, not shown what they would see.

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// The default policy, compiled in.
pub const DEFAULT_POLICY: &str = include_str!("../policy/default.cedar");
/// The schema every policy is validated against.
pub const SCHEMA: &str = include_str!("../policy/schema.cedarschema");

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident ($label:literal) { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = AccessError;
            fn from_str(s: &str) -> Result<Self, AccessError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(AccessError::UnknownWord {
                        kind: $label,
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    }),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The roles a user account can hold.
    Role ("role") {
        Practitioner => "practitioner",
        Supervisor => "supervisor",
        SafeguardingOfficer => "safeguarding-officer",
        ProgrammeLead => "programme-lead",
        RecordsManager => "records-manager",
        ServiceManager => "service-manager",
        Administrator => "administrator",
    }
}

vocabulary! {
    /// Everything a user can ask to do, named as in the Cedar schema.
    Operation ("operation") {
        ViewClientDetails => "view-client-details",
        ViewNotes => "view-notes",
        WriteNote => "write-note",
        ViewConsents => "view-consents",
        RecordConsent => "record-consent",
        ViewMatters => "view-matters",
        OpenMatter => "open-matter",
        BuildPackage => "build-package",
        DeliverPackage => "deliver-package",
        RespondSar => "respond-sar",
        ViewDeidentifiedNotes => "view-deidentified-notes",
        ViewProgress => "view-progress",
        ViewDisclosures => "view-disclosures",
        ViewAccessLog => "view-access-log",
        TrackSar => "track-sar",
        ViewRetention => "view-retention",
        PlaceHold => "place-hold",
        ReleaseHold => "release-hold",
        DestroyRecord => "destroy-record",
        ViewEscalatedMatter => "view-escalated-matter",
        RecordEscalationDecision => "record-escalation-decision",
        ManageUsers => "manage-users",
        VerifyAudit => "verify-audit",
        SearchAudit => "search-audit",
        RunRetention => "run-retention",
        ReviewBreakGlass => "review-break-glass",
        ManagePolicy => "manage-policy",
        ViewPolicy => "view-policy",
        ManageComplaints => "manage-complaints",
        ManageSar => "manage-sar",
        ViewPromises => "view-promises",
        RecordPromise => "record-promise",
        AssignCaseload => "assign-caseload",
    }
}

/// What kind of thing an operation is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Client,
    Matter,
    Service,
}

impl Operation {
    pub fn resource_kind(self) -> ResourceKind {
        use Operation::*;
        match self {
            ViewEscalatedMatter | RecordEscalationDecision => ResourceKind::Matter,
            ManageUsers | VerifyAudit | SearchAudit | RunRetention | ReviewBreakGlass
            | ManagePolicy | ViewPolicy | ManageComplaints | AssignCaseload => {
                ResourceKind::Service
            }
            _ => ResourceKind::Client,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("unknown {kind} (expected one of: {expected})")]
    UnknownWord {
        kind: &'static str,
        expected: String,
    },
    #[error("the access schema is invalid: {0}")]
    Schema(String),
    #[error("the access policy does not parse: {0}")]
    Parse(String),
    #[error("the access policy does not match the schema: {0}")]
    Invalid(String),
}

/// Who is asking: a user id and the roles the account holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub user: String,
    pub roles: Vec<Role>,
}

/// The facts about a client's record that access depends on. Ids only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFacts {
    pub client: String,
    pub assigned: Vec<String>,
    pub supervisors: Vec<String>,
    pub programme_leads: Vec<String>,
    pub programme_member: bool,
}

/// What the operation is done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Client {
        facts: ClientFacts,
        /// A break-glass grant for this user and client is in force.
        break_glass: bool,
    },
    Matter {
        matter: String,
        client: ClientFacts,
        escalated_to: Vec<String>,
    },
    Service,
}

/// The answer, with the policies that decided it (their `@id`s), for the
/// audit log. A refusal tells the user only that it is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessDecision {
    pub allowed: bool,
    pub policies: Vec<String>,
    /// Set when the request could not be evaluated (and so was refused).
    pub error: Option<String>,
}

impl AccessDecision {
    fn refused_on_error(error: String) -> AccessDecision {
        AccessDecision {
            allowed: false,
            policies: Vec::new(),
            error: Some(error),
        }
    }
}

/// A validated access policy and the schema it was validated against.
pub struct AccessPolicy {
    policies: PolicySet,
    schema: Schema,
    authorizer: Authorizer,
    ids: HashMap<String, String>,
}

impl fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessPolicy")
            .field("policies", &self.ids.len())
            .finish()
    }
}

fn schema() -> Result<Schema, AccessError> {
    Schema::from_cedarschema_str(SCHEMA)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| AccessError::Schema(e.to_string()))
}

impl AccessPolicy {
    /// The built-in default policy.
    pub fn default_policy() -> Result<AccessPolicy, AccessError> {
        AccessPolicy::from_text(DEFAULT_POLICY)
    }

    /// Parses `text` and validates it strictly against the schema: a policy
    /// naming an unknown action, entity or attribute is refused here rather
    /// than silently never matching.
    pub fn from_text(text: &str) -> Result<AccessPolicy, AccessError> {
        let schema = schema()?;
        let policies = PolicySet::from_str(text).map_err(|e| AccessError::Parse(e.to_string()))?;
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
            return Err(AccessError::Invalid(errors.join("; ")));
        }
        let ids = policies
            .policies()
            .map(|p| {
                let name = p
                    .annotation("id")
                    .map_or_else(|| p.id().to_string(), str::to_string);
                (p.id().to_string(), name)
            })
            .collect();
        Ok(AccessPolicy {
            policies,
            schema,
            authorizer: Authorizer::new(),
            ids,
        })
    }

    /// May `subject` do `operation` to `target`? Refused when the target's
    /// kind does not fit the operation, or on any evaluation error.
    pub fn check(
        &self,
        subject: &Subject,
        operation: Operation,
        target: &Target,
    ) -> AccessDecision {
        match self.evaluate(subject, operation, target) {
            Ok(decision) => decision,
            Err(e) => AccessDecision::refused_on_error(e),
        }
    }

    fn evaluate(
        &self,
        subject: &Subject,
        operation: Operation,
        target: &Target,
    ) -> Result<AccessDecision, String> {
        let kind = match target {
            Target::Client { .. } => ResourceKind::Client,
            Target::Matter { .. } => ResourceKind::Matter,
            Target::Service => ResourceKind::Service,
        };
        if kind != operation.resource_kind() {
            return Err(format!(
                "`{operation}` does not apply to this kind of record"
            ));
        }
        let mut entities = Vec::new();
        let principal = uid("User", &subject.user)?;
        let mut parents = HashSet::new();
        for role in &subject.roles {
            let role_uid = uid("Role", role.as_str())?;
            parents.insert(role_uid.clone());
        }
        for role in Role::ALL {
            entities.push(Entity::new_no_attrs(
                uid("Role", role.as_str())?,
                HashSet::new(),
            ));
        }
        entities.push(Entity::new_no_attrs(principal.clone(), parents));
        let mut users = HashSet::new();
        users.insert(subject.user.clone());

        let (resource, context) = match target {
            Target::Client { facts, break_glass } => {
                let client = client_entity(facts, &mut users)?;
                let resource = client.uid();
                entities.push(client);
                let context = Context::from_pairs([(
                    "break_glass".to_string(),
                    RestrictedExpression::new_bool(*break_glass),
                )])
                .map_err(|e| e.to_string())?;
                (resource, context)
            }
            Target::Matter {
                matter,
                client,
                escalated_to,
            } => {
                let client = client_entity(client, &mut users)?;
                let client_uid = client.uid();
                entities.push(client);
                let resource = uid("Matter", matter)?;
                let attrs = HashMap::from([
                    (
                        "client".to_string(),
                        RestrictedExpression::new_entity_uid(client_uid),
                    ),
                    (
                        "escalated_to".to_string(),
                        user_set(escalated_to, &mut users)?,
                    ),
                ]);
                entities.push(
                    Entity::new(resource.clone(), attrs, HashSet::new())
                        .map_err(|e| e.to_string())?,
                );
                (resource, Context::empty())
            }
            Target::Service => {
                let resource = uid("Service", "service")?;
                entities.push(Entity::new_no_attrs(resource.clone(), HashSet::new()));
                (resource, Context::empty())
            }
        };
        // Every user the facts mention must exist as an entity for the
        // schema check; only the subject carries roles.
        for user in users {
            if user != subject.user {
                entities.push(Entity::new_no_attrs(uid("User", &user)?, HashSet::new()));
            }
        }
        let entities =
            Entities::from_entities(entities, Some(&self.schema)).map_err(|e| e.to_string())?;
        let action = uid("Action", operation.as_str())?;
        let request = Request::new(principal, action, resource, context, Some(&self.schema))
            .map_err(|e| e.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        if !errors.is_empty() {
            // Cedar skips a policy whose evaluation errors; a forbid that
            // errored might have refused, so an error refuses.
            return Err(errors.join("; "));
        }
        let policies = response
            .diagnostics()
            .reason()
            .map(|id| {
                self.ids
                    .get(&id.to_string())
                    .cloned()
                    .unwrap_or_else(|| id.to_string())
            })
            .collect();
        Ok(AccessDecision {
            allowed: response.decision() == Decision::Allow,
            policies,
            error: None,
        })
    }
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let name = EntityTypeName::from_str(kind).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(name, EntityId::new(id)))
}

fn user_set(ids: &[String], users: &mut HashSet<String>) -> Result<RestrictedExpression, String> {
    let mut set = Vec::with_capacity(ids.len());
    for id in ids {
        users.insert(id.clone());
        set.push(RestrictedExpression::new_entity_uid(uid("User", id)?));
    }
    Ok(RestrictedExpression::new_set(set))
}

fn client_entity(facts: &ClientFacts, users: &mut HashSet<String>) -> Result<Entity, String> {
    let attrs = HashMap::from([
        ("assigned".to_string(), user_set(&facts.assigned, users)?),
        (
            "supervisors".to_string(),
            user_set(&facts.supervisors, users)?,
        ),
        (
            "programme_leads".to_string(),
            user_set(&facts.programme_leads, users)?,
        ),
        (
            "programme_member".to_string(),
            RestrictedExpression::new_bool(facts.programme_member),
        ),
    ]);
    Entity::new(uid("Client", &facts.client)?, attrs, HashSet::new()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_validates_against_the_schema() {
        AccessPolicy::default_policy().unwrap();
    }

    #[test]
    fn a_policy_naming_an_unknown_action_or_attribute_is_refused() {
        let e = AccessPolicy::from_text(
            r#"permit (principal, action == Action::"read-everything", resource);"#,
        )
        .unwrap_err();
        assert!(matches!(e, AccessError::Invalid(_)), "{e}");
        let e = AccessPolicy::from_text(
            r#"permit (principal, action == Action::"view-notes", resource) when { resource.owner == principal };"#,
        )
        .unwrap_err();
        assert!(matches!(e, AccessError::Invalid(_)), "{e}");
        let e = AccessPolicy::from_text("permit (principal, action, resource").unwrap_err();
        assert!(matches!(e, AccessError::Parse(_)), "{e}");
    }

    #[test]
    fn an_operation_on_the_wrong_kind_of_target_is_refused_not_allowed() {
        let policy = AccessPolicy::from_text(r#"permit (principal, action, resource);"#).unwrap();
        let subject = Subject {
            user: "u1".into(),
            roles: vec![Role::Practitioner],
        };
        let d = policy.check(&subject, Operation::ViewNotes, &Target::Service);
        assert!(!d.allowed);
        assert!(d.error.is_some());
        let d = policy.check(
            &subject,
            Operation::ViewNotes,
            &Target::Client {
                facts: ClientFacts {
                    client: "c1".into(),
                    ..ClientFacts::default()
                },
                break_glass: false,
            },
        );
        assert!(d.allowed);
    }

    #[test]
    fn vocabulary_round_trips_and_rejects_unknown_words() {
        for op in Operation::ALL {
            assert_eq!(op.as_str().parse::<Operation>().unwrap(), *op);
        }
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn every_operation_is_an_action_of_the_schema() {
        // An action the schema lacks would make every request for it fail
        // (and so be refused): catch the drift here instead.
        let policy = AccessPolicy::default_policy().unwrap();
        let subject = Subject {
            user: "u".into(),
            roles: vec![],
        };
        for op in Operation::ALL {
            let target = match op.resource_kind() {
                ResourceKind::Client => Target::Client {
                    facts: ClientFacts {
                        client: "c".into(),
                        ..ClientFacts::default()
                    },
                    break_glass: false,
                },
                ResourceKind::Matter => Target::Matter {
                    matter: "m".into(),
                    client: ClientFacts {
                        client: "c".into(),
                        ..ClientFacts::default()
                    },
                    escalated_to: vec![],
                },
                ResourceKind::Service => Target::Service,
            };
            let d = policy.check(&subject, *op, &target);
            assert_eq!(d.error, None, "{op}");
        }
    }
}
