//! The demo restaurant's catalog: what a small bistro stocks, who supplies it, and its menu.

use brigade_domain::catalog::{InventoryCategory, MenuCategory};

/// (sku, name, unit, category, minimum stock, supplier index, unit cost)
pub const INVENTORY: &[(&str, &str, &str, InventoryCategory, &str, usize, &str)] = &[
    ("BEEF-PATTY", "Beef patty 180g", "piece", InventoryCategory::Food, "40", 0, "2.10"),
    ("CHICKEN", "Chicken breast", "kg", InventoryCategory::Food, "5", 0, "8.40"),
    ("SALMON", "Salmon fillet", "kg", InventoryCategory::Food, "4", 0, "19.50"),
    ("BUN", "Brioche bun", "piece", InventoryCategory::Food, "40", 1, "0.45"),
    ("FLOUR", "Flour T55", "kg", InventoryCategory::Food, "10", 1, "1.20"),
    ("BUTTER", "Butter", "kg", InventoryCategory::Food, "3", 1, "9.80"),
    ("EGGS", "Eggs", "piece", InventoryCategory::Food, "60", 1, "0.28"),
    ("CREAM", "Double cream", "l", InventoryCategory::Food, "3", 1, "4.60"),
    ("SUGAR", "Sugar", "kg", InventoryCategory::Food, "3", 1, "1.10"),
    ("CHOC", "Dark chocolate 70%", "kg", InventoryCategory::Food, "2", 1, "14.00"),
    ("CHEDDAR", "Cheddar", "kg", InventoryCategory::Food, "2", 1, "12.50"),
    ("PARMESAN", "Parmesan", "kg", InventoryCategory::Food, "1", 1, "24.00"),
    ("ARBORIO", "Arborio rice", "kg", InventoryCategory::Food, "3", 1, "3.20"),
    ("POTATO", "Potatoes", "kg", InventoryCategory::Food, "20", 0, "0.90"),
    ("OIL", "Frying oil", "l", InventoryCategory::Food, "10", 0, "2.30"),
    ("LETTUCE", "Romaine lettuce", "piece", InventoryCategory::Food, "10", 0, "1.10"),
    ("TOMATO", "Tomatoes", "kg", InventoryCategory::Food, "5", 0, "2.80"),
    ("LAGER", "Lager (keg)", "l", InventoryCategory::Beverage, "20", 2, "3.10"),
    ("GIN", "Gin", "l", InventoryCategory::Beverage, "2", 2, "22.00"),
    ("TONIC", "Tonic water", "bottle", InventoryCategory::Beverage, "24", 2, "0.60"),
    ("COFFEE", "Coffee beans", "kg", InventoryCategory::Beverage, "2", 2, "18.00"),
    ("LEMON", "Lemons", "piece", InventoryCategory::Food, "20", 0, "0.30"),
];

/// (name, contact, payment terms)
pub const SUPPLIERS: &[(&str, &str, &str)] = &[
    ("Greenfield Farm Produce", "orders@greenfield.example", "net 14"),
    ("Maison Dupont Dairy & Bakery", "+1 212 555 0142", "net 30"),
    ("Harbor Beverage Co.", "sales@harborbev.example", "net 30"),
];

/// (name, category, price, station, recipe as (sku, quantity per portion))
pub type Dish = (&'static str, MenuCategory, &'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The menu: 16 items on 6 stations.
pub const MENU: &[Dish] = &[
    ("Bistro Burger", MenuCategory::Food, "16.00", "grill", &[("BEEF-PATTY", "1"), ("BUN", "1"), ("LETTUCE", "0.1"), ("TOMATO", "0.05")]),
    ("Cheeseburger", MenuCategory::Food, "17.50", "grill", &[("BEEF-PATTY", "1"), ("BUN", "1"), ("CHEDDAR", "0.04")]),
    ("Grilled Chicken", MenuCategory::Food, "19.00", "grill", &[("CHICKEN", "0.22"), ("LEMON", "0.5"), ("BUTTER", "0.02")]),
    ("French Fries", MenuCategory::Food, "5.50", "fryer", &[("POTATO", "0.3"), ("OIL", "0.05")]),
    ("Fish & Chips", MenuCategory::Food, "21.00", "fryer", &[("SALMON", "0.18"), ("POTATO", "0.3"), ("FLOUR", "0.05"), ("OIL", "0.08")]),
    ("Pan-seared Salmon", MenuCategory::Food, "26.00", "saute", &[("SALMON", "0.2"), ("BUTTER", "0.03"), ("LEMON", "0.5")]),
    ("Parmesan Risotto", MenuCategory::Food, "18.00", "saute", &[("ARBORIO", "0.1"), ("PARMESAN", "0.03"), ("BUTTER", "0.03"), ("CREAM", "0.05")]),
    ("Caesar Salad", MenuCategory::Food, "13.00", "cold", &[("LETTUCE", "1"), ("PARMESAN", "0.02"), ("EGGS", "1")]),
    ("Tomato Salad", MenuCategory::Food, "10.00", "cold", &[("TOMATO", "0.25"), ("LEMON", "0.25")]),
    ("Chocolate Fondant", MenuCategory::Food, "9.50", "pastry", &[("CHOC", "0.06"), ("BUTTER", "0.04"), ("EGGS", "1"), ("SUGAR", "0.03"), ("FLOUR", "0.02")]),
    ("Creme Brulee", MenuCategory::Food, "8.50", "pastry", &[("CREAM", "0.12"), ("EGGS", "2"), ("SUGAR", "0.04")]),
    ("Lemon Tart", MenuCategory::Food, "8.00", "pastry", &[("FLOUR", "0.05"), ("BUTTER", "0.03"), ("LEMON", "1"), ("SUGAR", "0.04"), ("EGGS", "1")]),
    ("Draft Lager", MenuCategory::Beverage, "7.00", "bar", &[("LAGER", "0.5")]),
    ("Gin & Tonic", MenuCategory::Beverage, "11.00", "bar", &[("GIN", "0.05"), ("TONIC", "1"), ("LEMON", "0.25")]),
    ("Espresso", MenuCategory::Beverage, "3.50", "bar", &[("COFFEE", "0.018")]),
    ("Lemonade", MenuCategory::Beverage, "4.50", "bar", &[("LEMON", "1"), ("SUGAR", "0.03")]),
];

/// Orders of the demo service: (table or 0 for takeout, [(menu index, portions)])
pub const SERVICE: &[(u16, &[(usize, u32)])] = &[
    (1, &[(0, 2), (3, 2), (12, 2)]),
    (2, &[(5, 1), (6, 1), (13, 2)]),
    (3, &[(1, 1), (3, 1), (15, 1)]),
    (0, &[(4, 2), (12, 1)]),
    (4, &[(7, 2), (2, 1), (9, 2), (14, 3)]),
    (5, &[(0, 1), (8, 1), (10, 1), (12, 1)]),
    (6, &[(5, 2), (11, 2), (13, 2)]),
    (0, &[(1, 3), (3, 3)]),
    (7, &[(6, 2), (9, 1), (14, 2)]),
    (8, &[(4, 1), (0, 1), (12, 2)]),
];
