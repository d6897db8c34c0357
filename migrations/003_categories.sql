-- The category tree, in Spanish, with the attribute keys each allows. A
-- category also allows its ancestors' keys (API.md: "a category inherits its
-- parent's attributes"), so shared keys sit on the parent.
--
-- Ids are fixed (top level 1-7, children NNN under parent N) so that links
-- and test fixtures can name them; new categories get ids from 1000 on.

INSERT INTO categories (id, parent_id, slug, name, position, attributes) VALUES
(1, NULL, 'maquinaria-agricola', 'Maquinaria agrícola', 1, '[
  {"key": "condition", "label": "Estado", "type": "enum", "options": ["nuevo", "usado"]}
]'),
(101, 1, 'tractores', 'Tractores', 1, '[
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "model", "label": "Modelo", "type": "text"},
  {"key": "year", "label": "Año", "type": "number"},
  {"key": "hours", "label": "Horas de uso", "type": "number", "unit": "h"},
  {"key": "hp", "label": "Potencia", "type": "number", "unit": "hp"},
  {"key": "traction", "label": "Tracción", "type": "enum", "options": ["simple", "doble"]}
]'),
(102, 1, 'cosechadoras', 'Cosechadoras', 2, '[
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "model", "label": "Modelo", "type": "text"},
  {"key": "year", "label": "Año", "type": "number"},
  {"key": "hours", "label": "Horas de motor", "type": "number", "unit": "h"},
  {"key": "header_ft", "label": "Cabezal", "type": "number", "unit": "pies"},
  {"key": "traction", "label": "Tracción", "type": "enum", "options": ["simple", "doble"]}
]'),
(103, 1, 'sembradoras', 'Sembradoras', 3, '[
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "model", "label": "Modelo", "type": "text"},
  {"key": "year", "label": "Año", "type": "number"},
  {"key": "rows", "label": "Surcos", "type": "number"},
  {"key": "row_spacing_cm", "label": "Distancia entre surcos", "type": "number", "unit": "cm"},
  {"key": "seed_type", "label": "Tipo", "type": "enum", "options": ["grano grueso", "grano fino", "neumática"]}
]'),
(104, 1, 'pulverizadoras', 'Pulverizadoras', 4, '[
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "model", "label": "Modelo", "type": "text"},
  {"key": "year", "label": "Año", "type": "number"},
  {"key": "sprayer_type", "label": "Tipo", "type": "enum", "options": ["autopropulsada", "de arrastre", "de tres puntos"]},
  {"key": "tank_l", "label": "Tanque", "type": "number", "unit": "l"},
  {"key": "boom_m", "label": "Botalón", "type": "number", "unit": "m"}
]'),
(105, 1, 'implementos', 'Implementos', 5, '[
  {"key": "implement_type", "label": "Tipo", "type": "enum", "options": ["rastra", "arado", "cincel", "rolo", "tolva", "acoplado", "mixer", "embolsadora", "otro"]},
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "year", "label": "Año", "type": "number"}
]'),
(106, 1, 'repuestos', 'Repuestos', 6, '[
  {"key": "part", "label": "Repuesto", "type": "text"},
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "compatible_with", "label": "Compatible con", "type": "text"}
]'),
(2, NULL, 'hacienda', 'Hacienda', 2, '[]'),
(201, 2, 'bovinos', 'Bovinos', 1, '[
  {"key": "breed", "label": "Raza", "type": "enum", "options": ["Aberdeen Angus", "Hereford", "Braford", "Brangus", "Holando Argentino", "Shorthorn", "Limousin", "Cruza"]},
  {"key": "head_count", "label": "Cabezas", "type": "number"},
  {"key": "avg_weight_kg", "label": "Peso promedio", "type": "number", "unit": "kg"},
  {"key": "category", "label": "Categoría", "type": "enum", "options": ["ternero", "novillo", "vaquillona", "vaca", "toro"]}
]'),
(202, 2, 'ovinos', 'Ovinos', 2, '[
  {"key": "breed", "label": "Raza", "type": "enum", "options": ["Merino", "Corriedale", "Texel", "Hampshire Down", "Pampinta", "Dorper", "Cruza"]},
  {"key": "head_count", "label": "Cabezas", "type": "number"},
  {"key": "avg_weight_kg", "label": "Peso promedio", "type": "number", "unit": "kg"},
  {"key": "category", "label": "Categoría", "type": "enum", "options": ["cordero", "borrego", "oveja", "carnero"]}
]'),
(203, 2, 'porcinos', 'Porcinos', 3, '[
  {"key": "breed", "label": "Raza", "type": "enum", "options": ["Landrace", "Large White", "Duroc", "Hampshire", "Cruza"]},
  {"key": "head_count", "label": "Cabezas", "type": "number"},
  {"key": "avg_weight_kg", "label": "Peso promedio", "type": "number", "unit": "kg"},
  {"key": "category", "label": "Categoría", "type": "enum", "options": ["lechón", "capón", "cachorro", "cerda", "padrillo"]}
]'),
(204, 2, 'equinos', 'Equinos', 4, '[
  {"key": "breed", "label": "Raza", "type": "enum", "options": ["Criollo", "Cuarto de Milla", "Pura Sangre", "Árabe", "Percherón", "Silla Argentino", "Mestizo"]},
  {"key": "age_years", "label": "Edad", "type": "number", "unit": "años"},
  {"key": "sex", "label": "Sexo", "type": "enum", "options": ["macho", "hembra", "castrado"]},
  {"key": "coat", "label": "Pelaje", "type": "text"},
  {"key": "tamed", "label": "Domado", "type": "bool"}
]'),
(205, 2, 'caprinos', 'Caprinos', 5, '[
  {"key": "breed", "label": "Raza", "type": "enum", "options": ["Anglo Nubian", "Saanen", "Boer", "Criolla", "Cruza"]},
  {"key": "head_count", "label": "Cabezas", "type": "number"},
  {"key": "avg_weight_kg", "label": "Peso promedio", "type": "number", "unit": "kg"}
]'),
(3, NULL, 'inmuebles-rurales', 'Inmuebles rurales', 3, '[
  {"key": "operation", "label": "Operación", "type": "enum", "options": ["venta", "alquiler", "arrendamiento"]}
]'),
(301, 3, 'campos', 'Campos', 1, '[
  {"key": "hectares", "label": "Superficie", "type": "number", "unit": "ha"},
  {"key": "use", "label": "Aptitud", "type": "enum", "options": ["agrícola", "ganadero", "mixto"]},
  {"key": "water", "label": "Agua", "type": "bool"},
  {"key": "improvements", "label": "Mejoras", "type": "text"}
]'),
(302, 3, 'chacras', 'Chacras', 2, '[
  {"key": "hectares", "label": "Superficie", "type": "number", "unit": "ha"},
  {"key": "water", "label": "Agua", "type": "bool"},
  {"key": "improvements", "label": "Mejoras", "type": "text"},
  {"key": "distance_km", "label": "Distancia al pueblo", "type": "number", "unit": "km"}
]'),
(303, 3, 'quintas', 'Quintas', 3, '[
  {"key": "hectares", "label": "Superficie", "type": "number", "unit": "ha"},
  {"key": "water", "label": "Agua", "type": "bool"},
  {"key": "house", "label": "Casa", "type": "bool"},
  {"key": "improvements", "label": "Mejoras", "type": "text"}
]'),
(4, NULL, 'insumos', 'Insumos', 4, '[
  {"key": "quantity", "label": "Cantidad", "type": "number"},
  {"key": "unit", "label": "Unidad", "type": "enum", "options": ["kg", "bolsas", "toneladas", "litros"]}
]'),
(401, 4, 'semillas', 'Semillas', 1, '[
  {"key": "crop", "label": "Cultivo", "type": "enum", "options": ["soja", "maíz", "trigo", "girasol", "sorgo", "cebada", "alfalfa", "pasturas"]},
  {"key": "variety", "label": "Variedad", "type": "text"}
]'),
(402, 4, 'fertilizantes', 'Fertilizantes', 2, '[
  {"key": "product", "label": "Producto", "type": "text"}
]'),
(403, 4, 'agroquimicos', 'Agroquímicos', 3, '[
  {"key": "product", "label": "Producto", "type": "text"},
  {"key": "active_ingredient", "label": "Principio activo", "type": "text"}
]'),
(404, 4, 'alimento-balanceado', 'Alimento balanceado', 4, '[
  {"key": "animal", "label": "Para", "type": "enum", "options": ["bovinos", "porcinos", "aves", "equinos", "ovinos"]}
]'),
(5, NULL, 'camionetas-y-camiones', 'Camionetas y camiones', 5, '[
  {"key": "brand", "label": "Marca", "type": "text"},
  {"key": "model", "label": "Modelo", "type": "text"},
  {"key": "year", "label": "Año", "type": "number"},
  {"key": "km", "label": "Kilometraje", "type": "number", "unit": "km"},
  {"key": "fuel", "label": "Combustible", "type": "enum", "options": ["diésel", "nafta", "GNC"]},
  {"key": "traction", "label": "Tracción", "type": "enum", "options": ["4x2", "4x4"]}
]'),
(6, NULL, 'servicios', 'Servicios', 6, '[
  {"key": "area", "label": "Zona de trabajo", "type": "text"}
]'),
(601, 6, 'contratistas', 'Contratistas', 1, '[
  {"key": "service", "label": "Servicio", "type": "enum", "options": ["siembra", "cosecha", "pulverización", "fertilización", "embolsado", "laboreo"]}
]'),
(602, 6, 'transporte-de-hacienda', 'Transporte de hacienda', 2, '[
  {"key": "capacity_heads", "label": "Capacidad", "type": "number", "unit": "cabezas"}
]'),
(603, 6, 'veterinaria', 'Veterinaria', 3, '[
  {"key": "specialty", "label": "Especialidad", "type": "enum", "options": ["grandes animales", "reproducción", "sanidad", "pequeños animales"]}
]'),
(7, NULL, 'empleos', 'Empleos', 7, '[
  {"key": "position", "label": "Puesto", "type": "text"},
  {"key": "schedule", "label": "Jornada", "type": "enum", "options": ["tiempo completo", "medio tiempo", "temporal"]},
  {"key": "housing", "label": "Con vivienda", "type": "bool"}
]');

-- Categories created later get ids past the fixed ones.
SELECT setval(pg_get_serial_sequence('categories', 'id'), 1000);
