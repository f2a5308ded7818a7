//! How each domain refusal is answered: 404 for what the caller's organization does not have,
//! 403 for a role the domain itself requires (segregation of duties, the receiving side of a
//! transfer, a discount over the limit), 409 for a rule of the current state (closed, already
//! paid, not enough stock), 422 for input no state could accept, naming the request's field it
//! is about. One place, so the same kind of refusal is the same status on every route.

use crate::commands::Refusal;
use axum::http::StatusCode;
use brigade_domain::customer::CustomerError;
use brigade_domain::expense::ExpenseError;
use brigade_domain::flow::FlowError;
use brigade_domain::inventory_item::InventoryItemError;
use brigade_domain::menu_item::MenuItemError;
use brigade_domain::order::OrderError;
use brigade_domain::organization::OrganizationError;
use brigade_domain::purchase_order::PoError;
use brigade_domain::stock::StockError;
use brigade_domain::supplier::SupplierError;
use brigade_domain::transfer::TransferError;
use brigade_domain::user::UserError;
use brigade_eventstore::RegistrationError;

const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
const CONFLICT: StatusCode = StatusCode::CONFLICT;
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

impl Refusal for OrderError {
    fn status(&self) -> StatusCode {
        use OrderError::*;
        match self {
            NotFound | UnknownLine(_) | UnknownPayment(_) => NOT_FOUND,
            DiscountNeedsManager { .. } | CancelNeedsManager => FORBIDDEN,
            TableRequired | BadQuantity | BadText(_) | AmountNotPositive => INVALID,
            _ => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use OrderError::*;
        match self {
            TableRequired => Some("table"),
            BadQuantity => Some("quantity"),
            BadText(_) => Some("notes"),
            AmountNotPositive => Some("amount"),
            _ => None,
        }
    }
}

impl Refusal for TransferError {
    fn status(&self) -> StatusCode {
        use TransferError::*;
        match self {
            NotFound => NOT_FOUND,
            NotReceivingSide(_) | NotRequester => FORBIDDEN,
            SameDepartment | NoLines | ZeroQuantity | DuplicateItem(_) | LinesMismatch(_) | OverValidated(_)
            | BadText(_) => INVALID,
            AlreadyRequested | NotPending(_) => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use TransferError::*;
        match self {
            SameDepartment => Some("to"),
            NoLines | ZeroQuantity | DuplicateItem(_) | LinesMismatch(_) | OverValidated(_) => Some("lines"),
            BadText(_) => Some("notes"),
            _ => None,
        }
    }
}

impl Refusal for StockError {
    fn status(&self) -> StatusCode {
        use StockError::*;
        match self {
            NotAllowed => FORBIDDEN,
            ZeroQuantity | SameDepartment | NothingConsumed | BadNote(_) => INVALID,
            Insufficient { .. } | DuplicateAdjustment(_) => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use StockError::*;
        match self {
            ZeroQuantity => Some("quantity"),
            SameDepartment => Some("to"),
            NothingConsumed => Some("lines"),
            BadNote(_) => Some("note"),
            _ => None,
        }
    }
}

impl Refusal for PoError {
    fn status(&self) -> StatusCode {
        use PoError::*;
        match self {
            NotFound => NOT_FOUND,
            NotAllowed(_) | SameApprover => FORBIDDEN,
            NoLines | ZeroQuantity | DuplicateItem(_) | NotOrdered(_) | BadText(_) => INVALID,
            AlreadyDrafted | WrongStatus { .. } | OverReceipt { .. } | DuplicateReceipt(_) => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use PoError::*;
        match self {
            NoLines | ZeroQuantity | DuplicateItem(_) | NotOrdered(_) => Some("lines"),
            BadText(_) => Some("reason"),
            _ => None,
        }
    }
}

impl Refusal for FlowError {
    fn status(&self) -> StatusCode {
        match self {
            FlowError::Order(e) => e.status(),
            FlowError::PurchaseOrder(e) => e.status(),
            FlowError::Transfer(e) => e.status(),
            FlowError::Stock { error, .. } => error.status(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            FlowError::Order(e) => e.field(),
            FlowError::PurchaseOrder(e) => e.field(),
            FlowError::Transfer(e) => e.field(),
            FlowError::Stock { error, .. } => error.field(),
        }
    }
}

impl Refusal for SupplierError {
    fn status(&self) -> StatusCode {
        use SupplierError::*;
        match self {
            NotFound => NOT_FOUND,
            NotAllowed => FORBIDDEN,
            BadProfile(_) => INVALID,
            AlreadyRegistered | Deactivated => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use SupplierError::*;
        match self {
            BadProfile(_) => Some("name"),
            _ => None,
        }
    }
}

impl Refusal for CustomerError {
    fn status(&self) -> StatusCode {
        use CustomerError::*;
        match self {
            NotFound => NOT_FOUND,
            BadProfile(_) | BadEmail => INVALID,
            AlreadyRegistered => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use CustomerError::*;
        match self {
            BadProfile(_) => Some("name"),
            BadEmail => Some("email"),
            _ => None,
        }
    }
}

impl Refusal for InventoryItemError {
    fn status(&self) -> StatusCode {
        use InventoryItemError::*;
        match self {
            NotFound => NOT_FOUND,
            NotAllowed => FORBIDDEN,
            BadSku | BadName(_) | MaximumBelowMinimum => INVALID,
            AlreadyRegistered => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use InventoryItemError::*;
        match self {
            BadSku => Some("sku"),
            BadName(_) => Some("name"),
            MaximumBelowMinimum => Some("maximum_stock"),
            _ => None,
        }
    }
}

impl Refusal for RegistrationError {
    fn status(&self) -> StatusCode {
        match self {
            RegistrationError::Item(e) => e.status(),
            RegistrationError::SkuTaken(_) => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            RegistrationError::Item(e) => e.field(),
            RegistrationError::SkuTaken(_) => Some("sku"),
        }
    }
}

impl Refusal for ExpenseError {
    fn status(&self) -> StatusCode {
        use ExpenseError::*;
        match self {
            NotAllowed => FORBIDDEN,
            AmountNotPositive | BadNote(_) => INVALID,
            AlreadyRecorded => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use ExpenseError::*;
        match self {
            AmountNotPositive => Some("amount"),
            BadNote(_) => Some("note"),
            _ => None,
        }
    }
}

impl Refusal for OrganizationError {
    fn status(&self) -> StatusCode {
        use OrganizationError::*;
        match self {
            NotEstablished => NOT_FOUND,
            ManagerRequired => FORBIDDEN,
            AlreadyEstablished => CONFLICT,
            BadName(_) | BadCurrency(_) | BadTimezone(_) | BadKitchenThresholds | BadLoyaltyRate => INVALID,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use OrganizationError::*;
        match self {
            BadName(_) => Some("name"),
            BadCurrency(_) => Some("currency"),
            BadTimezone(_) => Some("timezone"),
            BadKitchenThresholds => Some("kitchen_red_after_secs"),
            BadLoyaltyRate => Some("loyalty_points_per_unit"),
            _ => None,
        }
    }
}

impl Refusal for UserError {
    fn status(&self) -> StatusCode {
        use UserError::*;
        match self {
            NotFound => NOT_FOUND,
            NotAllowed | SuperAdminOnly | SelfDeactivation => FORBIDDEN,
            NoRoles | BadUsername | BadDisplayName(_) => INVALID,
            AlreadyExists | WrongStatus(_) => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        use UserError::*;
        match self {
            NoRoles => Some("roles"),
            BadUsername => Some("username"),
            BadDisplayName(_) => Some("display_name"),
            _ => None,
        }
    }
}

impl Refusal for MenuItemError {
    fn status(&self) -> StatusCode {
        match self {
            MenuItemError::NotFound => NOT_FOUND,
            MenuItemError::NotAllowed => FORBIDDEN,
            MenuItemError::BadName(_) | MenuItemError::ZeroRecipeQuantity | MenuItemError::DuplicateIngredient(_) => {
                INVALID
            }
            MenuItemError::AlreadyAdded | MenuItemError::Withdrawn | MenuItemError::NotWithdrawn => CONFLICT,
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            MenuItemError::BadName(_) => Some("name"),
            MenuItemError::ZeroRecipeQuantity | MenuItemError::DuplicateIngredient(_) => Some("recipe"),
            _ => None,
        }
    }
}
