//! Users: who may administer them, what each status allows, and the invariants of roles (a
//! property test over random command sequences).
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::user::{User, UserCommand, UserError, UserEvent, UserProfile, UserStatus};
use brigade_domain::{Aggregate, Role};
use proptest::prelude::*;
use support::*;

fn profile(name: &str) -> UserProfile {
    UserProfile {
        username: name.into(),
        display_name: name.to_uppercase(),
    }
}

fn created(name: &str, roles: &[Role]) -> UserEvent {
    UserEvent::Created {
        user_id: user(name),
        profile: profile(name),
        roles: roles.to_vec(),
        by: user("maria"),
        at: t0(),
    }
}

fn pending(name: &str) -> UserEvent {
    UserEvent::SignedUp {
        user_id: user(name),
        profile: profile(name),
        at: t0(),
    }
}

#[test]
fn a_manager_creates_an_active_user_with_sorted_distinct_roles() {
    let command = UserCommand::Create {
        user_id: user("kim"),
        profile: profile("kim"),
        roles: vec![Role::ProcessingStaff, Role::KitchenStaff, Role::KitchenStaff],
    };
    fresh::<User>().when(command, &manager()).then(vec![UserEvent::Created {
        user_id: user("kim"),
        profile: profile("kim"),
        roles: vec![Role::ProcessingStaff, Role::KitchenStaff],
        by: manager().by(),
        at: t0(),
    }]);
}

#[test]
fn only_managers_administer_users_and_only_super_admins_make_super_admins() {
    let create = |roles: Vec<Role>| UserCommand::Create {
        user_id: user("kim"),
        profile: profile("kim"),
        roles,
    };
    fresh::<User>()
        .when(create(vec![Role::KitchenStaff]), &cashier())
        .then_refused(UserError::NotAllowed);
    fresh::<User>()
        .when(create(vec![Role::SuperAdmin]), &manager())
        .then_refused(UserError::SuperAdminOnly);
    fresh::<User>()
        .when(create(vec![]), &manager())
        .then_refused(UserError::NoRoles);
    let root = as_user("root", &[Role::SuperAdmin]);
    assert_eq!(
        fresh::<User>()
            .when(create(vec![Role::SuperAdmin]), &root)
            .events()
            .len(),
        1
    );
    // Nor may a manager change or deactivate a super admin.
    let admin = given([created("ada", &[Role::SuperAdmin])]);
    admin
        .when(
            UserCommand::ChangeRoles {
                roles: vec![Role::Accountant],
            },
            &manager(),
        )
        .then_refused(UserError::SuperAdminOnly);
    admin
        .when(UserCommand::Deactivate, &manager())
        .then_refused(UserError::SuperAdminOnly);
    let staff = given([created("kim", &[Role::KitchenStaff])]);
    staff
        .when(
            UserCommand::ChangeRoles {
                roles: vec![Role::Manager],
            },
            &cook(),
        )
        .then_refused(UserError::NotAllowed);
    staff
        .when(UserCommand::Deactivate, &cashier())
        .then_refused(UserError::NotAllowed);
}

#[test]
fn a_sign_up_waits_for_a_manager_and_is_approved_with_roles() {
    let by_themself = as_user("sam", &[]);
    fresh::<User>()
        .when(
            UserCommand::SignUp {
                profile: profile("sam"),
            },
            &by_themself,
        )
        .then(vec![pending("sam")]);
    let waiting = given([pending("sam")]);
    waiting
        .when(
            UserCommand::ChangeRoles {
                roles: vec![Role::StockController],
            },
            &manager(),
        )
        .then_refused(UserError::WrongStatus(UserStatus::Pending));
    waiting
        .when(
            UserCommand::Approve {
                roles: vec![Role::StockController],
            },
            &cashier(),
        )
        .then_refused(UserError::NotAllowed);
    waiting
        .when(
            UserCommand::Approve {
                roles: vec![Role::StockController],
            },
            &manager(),
        )
        .then(vec![UserEvent::Approved {
            roles: vec![Role::StockController],
            by: manager().by(),
            at: t0(),
        }]);
    given([
        pending("sam"),
        UserEvent::Approved {
            roles: vec![Role::StockController],
            by: user("maria"),
            at: t0(),
        },
    ])
    .when(
        UserCommand::Approve {
            roles: vec![Role::StockController],
        },
        &manager(),
    )
    .then_refused(UserError::WrongStatus(UserStatus::Active));
}

#[test]
fn the_first_administrator_bootstraps_themself_as_super_admin_and_manager() {
    let first = as_user("root", &[]);
    let events = fresh::<User>()
        .when(
            UserCommand::CreateFirstAdmin {
                profile: profile("root"),
            },
            &first,
        )
        .events();
    assert_eq!(
        events,
        [UserEvent::Created {
            user_id: user("root"),
            profile: profile("root"),
            roles: vec![Role::SuperAdmin, Role::Manager],
            by: user("root"),
            at: t0(),
        }]
    );
}

#[test]
fn deactivation_is_final_and_nobody_locks_themself_out() {
    let maria = given([created("maria", &[Role::Manager])]);
    maria
        .when(UserCommand::Deactivate, &manager())
        .then_refused(UserError::SelfDeactivation);
    let gone = given([
        created("kim", &[Role::KitchenStaff]),
        UserEvent::Deactivated {
            by: user("maria"),
            at: t0(),
        },
    ]);
    gone.when(
        UserCommand::ChangeRoles {
            roles: vec![Role::Manager],
        },
        &manager(),
    )
    .then_refused(UserError::WrongStatus(UserStatus::Deactivated));
    gone.when(UserCommand::Deactivate, &manager())
        .then_refused(UserError::WrongStatus(UserStatus::Deactivated));
    gone.when(
        UserCommand::Rename {
            display_name: "K".into(),
        },
        &manager(),
    )
    .then_refused(UserError::WrongStatus(UserStatus::Deactivated));
}

#[test]
fn a_user_renames_themself_but_not_others_and_names_are_checked() {
    let kim = given([created("kim", &[Role::KitchenStaff])]);
    let as_kim = as_user("kim", &[Role::KitchenStaff]);
    assert_eq!(
        kim.when(
            UserCommand::Rename {
                display_name: "Kim L.".into()
            },
            &as_kim
        )
        .events()
        .len(),
        1
    );
    kim.when(
        UserCommand::Rename {
            display_name: "Kim L.".into(),
        },
        &cashier(),
    )
    .then_refused(UserError::NotAllowed);
    kim.when(
        UserCommand::Rename {
            display_name: "KIM".into(),
        },
        &as_kim,
    )
    .then(vec![]);
    for bad in ["ab", "Kim", "kim lee", "kim@bistro", &"k".repeat(65)] {
        fresh::<User>()
            .when(
                UserCommand::Create {
                    user_id: user("x"),
                    profile: profile(bad),
                    roles: vec![Role::KitchenStaff],
                },
                &manager(),
            )
            .then_refused(UserError::BadUsername);
    }
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::SuperAdmin),
        Just(Role::Manager),
        Just(Role::KitchenStaff),
        Just(Role::PosOperator),
        Just(Role::Accountant),
    ]
}

fn roles() -> impl Strategy<Value = Vec<Role>> {
    prop::collection::vec(role(), 0..3)
}

fn command() -> impl Strategy<Value = UserCommand> {
    prop_oneof![
        roles().prop_map(|roles| UserCommand::Create {
            user_id: user("kim"),
            profile: profile("kim"),
            roles
        }),
        Just(UserCommand::SignUp {
            profile: profile("kim")
        }),
        roles().prop_map(|roles| UserCommand::Approve { roles }),
        roles().prop_map(|roles| UserCommand::ChangeRoles { roles }),
        Just(UserCommand::Deactivate),
        Just(UserCommand::Rename {
            display_name: "Kim L.".into()
        }),
    ]
}

fn actor() -> impl Strategy<Value = brigade_domain::Context> {
    prop_oneof![
        Just(manager()),
        Just(cashier()),
        Just(as_user("root", &[Role::SuperAdmin])),
        Just(as_user("kim", &[Role::KitchenStaff])),
    ]
}

proptest! {
    /// Whatever is tried, by whoever: an active user has at least one role, a pending one none;
    /// a deactivated user never changes again; a super admin is made only by a super admin.
    #[test]
    fn roles_and_statuses_keep_their_invariants(steps in prop::collection::vec((command(), actor()), 1..20)) {
        let mut state = User::default();
        for (command, ctx) in steps {
            let before = state.clone();
            let Ok(events) = state.decide(&command, &ctx) else { continue };
            for event in &events {
                state.evolve(event);
            }
            if before.status == Some(UserStatus::Deactivated) {
                prop_assert_eq!(&state, &before);
            }
            if !before.roles.contains(&Role::SuperAdmin) && state.roles.contains(&Role::SuperAdmin) {
                prop_assert!(ctx.actor.roles.contains(&Role::SuperAdmin));
            }
            match state.status {
                Some(UserStatus::Active) => prop_assert!(!state.roles.is_empty()),
                Some(UserStatus::Pending) => prop_assert!(state.roles.is_empty()),
                _ => {}
            }
        }
    }
}
