//! The contract's completeness check: every JSON body the API answers with (2xx) or accepts is a
//! schema of named fields all the way down. A generated client then gets a type for every
//! answer, not a map it has to guess at.
//!
//! What counts as untyped, anywhere inside a body: an `object` with no `properties` (unless it
//! is a map whose values are themselves typed: `additionalProperties` with a schema), and a
//! schema that says nothing at all (`{}`, any value). At the top of a body, a bare scalar is
//! untyped too: every answer is an object of named fields or a list of them.

use serde_json::Value;

/// The one body exempt from the walk: the OpenAPI document itself, whose schema is the OpenAPI
/// 3.1 specification's (its top-level fields are named; its paths are free-form by nature).
const SELF_DESCRIBING: &str = "/openapi.json";

/// Every place in `document` where a JSON body is not typed, as "METHOD path: where: why".
pub fn untyped_bodies(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let empty = serde_json::Map::new();
    let paths = document["paths"].as_object().unwrap_or(&empty);
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap_or(&empty) {
            let at = format!("{} {path}", method.to_uppercase());
            if let Some(content) = operation["requestBody"]["content"].as_object() {
                for (media, body) in content {
                    if media.ends_with("json") {
                        let mut walk = Walk {
                            document,
                            found: &mut found,
                            seen: Vec::new(),
                        };
                        walk.body(&format!("{at} request"), &body["schema"]);
                    }
                }
            }
            for (status, response) in operation["responses"].as_object().unwrap_or(&empty) {
                if !status.starts_with('2') || path == SELF_DESCRIBING {
                    continue;
                }
                for (media, body) in response["content"].as_object().unwrap_or(&empty) {
                    if media == "application/json" {
                        let mut walk = Walk {
                            document,
                            found: &mut found,
                            seen: Vec::new(),
                        };
                        walk.body(&format!("{at} {status}"), &body["schema"]);
                    }
                }
            }
        }
    }
    found
}

struct Walk<'a> {
    document: &'a Value,
    found: &'a mut Vec<String>,
    /// The component schemas on the way down, so a recursive type is walked once.
    seen: Vec<String>,
}

impl Walk<'_> {
    /// The top of a body: named fields, or a list of them.
    fn body(&mut self, at: &str, schema: &Value) {
        let resolved = resolve(self.document, schema);
        if is_scalar(resolved) {
            self.found.push(format!(
                "{at}: a bare {} is not a body of named fields",
                resolved["type"]
            ));
            return;
        }
        self.schema(at, schema);
    }

    fn schema(&mut self, at: &str, schema: &Value) {
        if let Some(name) = schema["$ref"].as_str() {
            if self.seen.iter().any(|s| s == name) {
                return;
            }
            let resolved = resolve(self.document, schema);
            if resolved.is_null() {
                self.found.push(format!("{at}: {name} is not in the document"));
                return;
            }
            self.seen.push(name.to_owned());
            self.schema(&format!("{at} ({})", name.rsplit('/').next().unwrap_or(name)), resolved);
            self.seen.pop();
            return;
        }
        let mut described = false;
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(parts) = schema[key].as_array() {
                described = true;
                for (i, part) in parts.iter().enumerate() {
                    self.schema(&format!("{at}.{key}[{i}]"), part);
                }
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            described = true;
            for (field, inner) in properties {
                self.schema(&format!("{at}.{field}"), inner);
            }
        }
        if has_type(schema, "array") {
            described = true;
            self.schema(&format!("{at}[]"), &schema["items"]);
        }
        if has_type(schema, "object") && schema["properties"].is_null() {
            match &schema["additionalProperties"] {
                map @ Value::Object(_) => self.schema(&format!("{at}{{}}"), map),
                _ => self.found.push(format!("{at}: an object with no named fields")),
            }
            return;
        }
        if !described && !is_scalar(schema) && schema.get("enum").is_none() && schema.get("const").is_none() {
            self.found.push(format!("{at}: a schema that says nothing ({schema})"));
        }
    }
}

/// The component a `$ref` names, or the schema itself.
fn resolve<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &document["components"]["schemas"][name],
        None => schema,
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn has_type(schema: &Value, wanted: &str) -> bool {
    types(schema).contains(&wanted)
}

fn is_scalar(schema: &Value) -> bool {
    let t = types(schema);
    !t.is_empty()
        && t.iter()
            .all(|t| matches!(*t, "string" | "number" | "integer" | "boolean" | "null"))
}

#[cfg(test)]
mod tests {
    use super::untyped_bodies;
    use serde_json::json;

    #[test]
    fn the_served_document_has_no_untyped_body() {
        let (_, document) = super::super::openapi::build();
        let document = serde_json::to_value(&document).unwrap();
        let found = untyped_bodies(&document);
        assert!(found.is_empty(), "{} untyped:\n{}", found.len(), found.join("\n"));
    }

    #[test]
    fn the_walk_finds_a_bare_object_a_free_map_and_an_empty_schema_deep_down() {
        let document = json!({
            "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/A"}}}}}}}},
            "components": {"schemas": {"A": {"type": "object", "properties": {
                "typed": {"type": "string"},
                "bare": {"type": "object"},
                "map": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "additionalProperties": true},
                "anything": {},
                "list": {"type": "array", "items": {"type": ["object", "null"]}},
                "back": {"$ref": "#/components/schemas/A"}
            }}}}
        });
        let found = untyped_bodies(&document);
        let mut fields: Vec<&str> = found
            .iter()
            .map(|f| f.split(": ").next().unwrap().rsplit('.').next().unwrap())
            .collect();
        fields.sort();
        assert_eq!(fields, ["anything", "bare", "free", "list[]"], "{found:#?}");
    }

    fn document() -> serde_json::Value {
        let (_, document) = super::super::openapi::build();
        serde_json::to_value(&document).unwrap()
    }

    /// The schema `schema` stands for: through a `$ref`, and through the `oneOf [null, X]` an
    /// optional field is.
    fn resolved<'d>(document: &'d serde_json::Value, schema: &'d serde_json::Value) -> &'d serde_json::Value {
        let schema = super::resolve(document, schema);
        match schema["oneOf"].as_array() {
            Some(parts) => parts
                .iter()
                .find(|p| p["type"] != "null")
                .map_or(schema, |p| resolved(document, p)),
            None => schema,
        }
    }

    #[test]
    fn value_lists_are_enums_not_prose() {
        let document = document();
        let schemas = &document["components"]["schemas"];
        let fields = [
            ("PlaceOrder", "order_type"),
            ("DiscountBody", "kind"),
            ("ProcessPayment", "method"),
            ("RequestBody", "from"),
            ("RequestBody", "to"),
            ("AdjustmentBody", "department"),
            ("AdjustmentBody", "reason"),
            ("ExpenseBody", "category"),
            ("MenuItemBody", "category"),
            ("NewInventoryItem", "category"),
            ("NewUser", "roles"),
            ("OrderSummary", "status"),
            ("KitchenStatus", "status"),
            ("TicketView", "urgency"),
            ("TicketView", "status"),
            ("PlReport", "group_by"),
            ("Valuation", "method"),
            ("EngineeredItem", "class"),
        ];
        let mut prose = Vec::new();
        for (schema, field) in fields {
            let mut property = &schemas[schema]["properties"][field];
            if property["type"] == "array" {
                property = &property["items"];
            }
            let values = &resolved(&document, property)["enum"];
            if values.as_array().is_none_or(Vec::is_empty) {
                prose.push(format!("{schema}.{field}: {property}"));
            }
        }
        let mut query = Vec::new();
        for (path, name) in [
            ("/api/v1/accounting/reports/pl-statement", "group_by"),
            ("/api/v1/accounting/reports/pl-statement", "method"),
            ("/api/v1/stock/reports/valuation", "method"),
            ("/api/v1/pos/orders", "status"),
            ("/api/v1/kitchen/orders", "status"),
        ] {
            let parameters = document["paths"][path]["get"]["parameters"].as_array().unwrap();
            let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
            if resolved(&document, &parameter["schema"])["enum"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                query.push(format!("{path}?{name}"));
            }
        }
        assert!(prose.is_empty() && query.is_empty(), "not enums: {prose:#?} {query:#?}");
    }

    #[test]
    fn every_decimal_string_has_the_pattern_of_its_unit() {
        let document = document();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for unit in [
            "Money",
            "Quantity",
            "SignedQuantity",
            "Percent",
            "Amount",
            "Ratio",
            "Figure",
        ] {
            let pattern = schemas[unit]["pattern"].as_str().unwrap_or_default();
            let re_ok = pattern.starts_with('^') && pattern.ends_with('$') && pattern.contains("[0-9]");
            assert!(re_ok, "{unit}: {:?}", schemas[unit]);
        }
        // A field whose name says it holds money or a quantity is one of those units, wherever it
        // is: a string of any spelling would let a client send "12,50" or "twelve".
        let decimal = [
            "price",
            "amount",
            "cost",
            "total",
            "quantity",
            "value",
            "sales",
            "tax",
            "tip",
            "paid",
            "discount",
            "refund",
            "stock",
            "pct",
            "rate",
            "spent",
            "outstanding",
            "labor",
            "profit",
        ];
        let mut loose = Vec::new();
        for (name, schema) in schemas {
            for (field, property) in schema["properties"].as_object().into_iter().flatten() {
                let mut property = property;
                if property["type"] == "array" {
                    property = &property["items"];
                }
                let target = resolved(&document, property);
                let is_text = target["type"] == "string" && target.get("enum").is_none();
                let named_decimal = decimal.iter().any(|d| field.contains(d));
                if is_text && named_decimal && target.get("pattern").is_none() && target.get("format").is_none() {
                    loose.push(format!("{name}.{field}"));
                }
            }
        }
        assert!(loose.is_empty(), "decimal strings without a pattern: {loose:#?}");
    }

    #[test]
    fn every_request_body_refuses_fields_it_does_not_name() {
        let document = document();
        let mut open = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                if schema.is_null() {
                    continue;
                }
                let body = resolved(&document, schema);
                if body["additionalProperties"] != false {
                    open.push(format!("{method} {path}"));
                }
            }
        }
        // The settings PUT replaces every field (all are required), so a misspelt one is already
        // refused as missing; the stored type also reads older events, so it keeps serde's default.
        assert_eq!(
            open,
            ["put /api/v1/organizations/{id}/settings"],
            "bodies that accept unknown fields"
        );
    }

    #[test]
    fn every_command_by_a_user_documents_its_idempotency_key() {
        let document = document();
        let mut missing = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let by_user = operation["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
                if !by_user || !matches!(method.as_str(), "post" | "put" | "delete") {
                    continue;
                }
                let documented = operation["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"));
                if !documented {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "commands without a documented Idempotency-Key: {missing:#?}"
        );
    }

    /// Generated clients name a function per operation id (the screens' own TypeScript client did
    /// not compile while two handlers were both `list`): every id is there and used once.
    #[test]
    fn every_operation_has_an_id_of_its_own() {
        let document = serde_json::to_value(crate::http::openapi::build().1).expect("the document encodes");
        let mut seen = std::collections::BTreeMap::<String, String>::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                let where_ = format!("{method} {path}");
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{where_} has no operationId"));
                if let Some(first) = seen.insert(id.to_owned(), where_.clone()) {
                    panic!("operationId {id:?} is both {first} and {where_}");
                }
            }
        }
        assert!(seen.len() > 80, "only {} operations found", seen.len());
    }

    /// Descriptions are the doc comments' words: a macro once stringified the attribute itself
    /// (`doc = r" A supplier."`) into seventeen schemas.
    #[test]
    fn every_description_is_words_not_an_attribute() {
        let document = serde_json::to_value(crate::http::openapi::build().1).expect("the document encodes");
        for (name, schema) in document["components"]["schemas"].as_object().expect("schemas") {
            let description = schema["description"].as_str().unwrap_or_default();
            assert!(
                !description.contains("doc =") && !description.starts_with(' '),
                "{name}: {description:?}"
            );
        }
    }
}
