/* `rural24 seed`: the data generator (seed.h). Each step is one SQL script
 * run by PostgreSQL; the parameters travel as session settings
 * (rural24.users, ...) set once with bound values, so no SQL text is built
 * from input except the seed, an integer printed into the helper functions
 * (PostgreSQL folds it into the hash, which current_setting() per call would
 * not allow).
 *
 * The scripts, in order: helper functions (rnd: a hash of (row, salt, seed)
 * as a float in [0,1); pick: an element of an array), word lists, per-category
 * content, users, the exchange rate, ads, favorites, messages; then ANALYZE
 * and VACUUM, so that the planner knows the new data and the GIN pending list
 * is merged. */
#include "db/seed.h"
#include "db/internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL scripts, one literal line per SQL line. */
/* clang-format off */
/* The helpers; SEED_FUNCTIONS_HEAD + the seed + SEED_FUNCTIONS_TAIL. */
static const char SEED_FUNCTIONS_HEAD[] =
    "CREATE FUNCTION pg_temp.rnd(k bigint, salt integer) RETURNS double precision\n"
    "  LANGUAGE sql STABLE PARALLEL SAFE\n"
    "  RETURN (hashint8extended(k * 64 + salt, \n";
static const char SEED_FUNCTIONS_TAIL[] =
    ") & 2147483647)::double precision / 2147483648.0;\n"
    "CREATE FUNCTION pg_temp.pick(a anyarray, r double precision) RETURNS anyelement\n"
    "  LANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
    "  AS 'SELECT a[1 + floor(r * cardinality(a))::integer]';\n"
    "CREATE FUNCTION pg_temp.nice(x double precision) RETURNS numeric\n"
    "  LANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
    "  RETURN round(x::numeric, 2 - greatest(2, floor(log(greatest(x, 1)))::integer));\n";

static const char SEED_WORDS[] =
    "CREATE TEMP TABLE seed_words (name text PRIMARY KEY, words text[] NOT NULL);\n"
    "INSERT INTO seed_words VALUES\n"
    "('first_names', ARRAY['Juan','Carlos','José','Luis','Jorge','Miguel','Martín','Diego','Pablo','Javier','Ricardo','Sergio','Gustavo','Fernando','Alejandro','Hernán','Matías','Facundo','Nicolás','Santiago','Raúl','Oscar','Héctor','Rubén','María','Ana','Laura','Silvia','Claudia','Marcela','Gabriela','Carolina','Valeria','Florencia','Lucía','Sofía','Mariana','Patricia','Verónica','Daniela','Julieta','Romina','Agustina','Cecilia','Graciela','Norma']),\n"
    "('last_names', ARRAY['González','Rodríguez','Gómez','Fernández','López','Díaz','Martínez','Pérez','García','Sánchez','Romero','Sosa','Álvarez','Torres','Ruiz','Ramírez','Flores','Acosta','Benítez','Medina','Herrera','Suárez','Aguirre','Giménez','Gutiérrez','Pereyra','Rojas','Molina','Castro','Ortiz','Silva','Núñez','Luna','Juárez','Cabrera','Ríos','Ferreyra','Godoy','Morales','Domínguez','Bianchi','Rossi','Ferrari','Bertolotti','Zanetti','Schmidt','Müller','Fontana']),\n"
    "('domains', ARRAY['example.com','example.net','example.org']),\n"
    "('area_codes', ARRAY['11','221','2477','236','249','2314','291','351','358','353','3564','341','3492','3462','343','3446','2954','302','385','362','387','381','379','2657','261','299','376','388','383','370','380','264','280','2966','2964']),\n"
    "('provinces', ARRAY(SELECT p FROM (VALUES ('Buenos Aires',28),('Córdoba',17),('Santa Fe',15),('Entre Ríos',7),('La Pampa',6),('Santiago del Estero',3),('Chaco',3),('Salta',2),('Tucumán',2),('Corrientes',2),('San Luis',2),('Mendoza',2),('Río Negro',1),('Neuquén',1),('Misiones',1),('Jujuy',1),('Catamarca',1),('Formosa',1),('La Rioja',1),('San Juan',1),('Chubut',1),('Santa Cruz',1),('Tierra del Fuego',1),('Ciudad Autónoma de Buenos Aires',1)) v(p, w), generate_series(1, v.w))),\n"
    "('closings', ARRAY['Consultas por mensaje.','Precio conversable.','Entrega inmediata.','Se aceptan permutas.','Se puede ver en {loc}.','Financiación a convenir.','Retira el comprador.','Facturo.','No respondo llamadas de números ocultos.','Escucho ofertas razonables.']),\n"
    "('buyer_lines', ARRAY['¿Cuál es el precio final?','¿Acepta permuta?','¿Dónde se puede ver?','¿Tiene los papeles al día?','Me interesa, ¿cuándo lo puedo ir a ver?','¿Me podés mandar más fotos?','¿Hacés envíos?','¿Aceptás pago en dólares?','Perfecto, lo hablamos por teléfono.','Gracias, lo pienso y te aviso.','¿Tenés factura?','¿Lo podés reservar hasta el lunes?']),\n"
    "('seller_lines', ARRAY['Sí, sigue disponible.','Hola, sí. Está en el campo, se puede ver cuando quieras.','El precio es conversable.','Acepto permuta, ¿qué ofrecés?','Sí, papeles al día.','Te paso más fotos por acá.','Podés venir a verlo el sábado a la mañana.','Gracias por consultar.','No hago envíos, hay que retirarlo.','Sí, facturo.','Te lo reservo con una seña.']),\n"
    "('coats', ARRAY['zaino','tordillo','alazán','overo','bayo','moro','tostado','picazo']),\n"
    "('improvements', ARRAY['casa principal y galpón','alambrado perimetral nuevo','molino y aguadas','manga y corrales','casa de encargado','silos y balanza','monte de reparo','sin mejoras']);\n"
    "\n"
    "CREATE TEMP TABLE seed_localities (province text PRIMARY KEY, names text[] NOT NULL);\n"
    "INSERT INTO seed_localities VALUES\n"
    "('Buenos Aires', ARRAY['Pergamino','Junín','Tandil','Azul','Trenque Lauquen','Nueve de Julio','Bahía Blanca','Olavarría','Salto','Bolívar','Chivilcoy','Tres Arroyos']),\n"
    "('Córdoba', ARRAY['Río Cuarto','Marcos Juárez','Villa María','San Francisco','Laboulaye','Jesús María','Bell Ville','Huinca Renancó']),\n"
    "('Santa Fe', ARRAY['Rafaela','Venado Tuerto','Casilda','Rufino','Reconquista','Esperanza','Firmat','Cañada de Gómez']),\n"
    "('Entre Ríos', ARRAY['Gualeguaychú','Paraná','Concordia','Victoria','Villaguay','Nogoyá']),\n"
    "('La Pampa', ARRAY['Santa Rosa','General Pico','Realicó','Eduardo Castex','General Acha']),\n"
    "('Santiago del Estero', ARRAY['Quimilí','Añatuya','Bandera','Monte Quemado']),\n"
    "('Chaco', ARRAY['Charata','Presidencia Roque Sáenz Peña','Villa Ángela','Las Breñas']),\n"
    "('Salta', ARRAY['Las Lajitas','Metán','Rosario de la Frontera','Tartagal']),\n"
    "('Tucumán', ARRAY['Monteros','Concepción','Famaillá','Simoca']),\n"
    "('Corrientes', ARRAY['Mercedes','Curuzú Cuatiá','Goya','Santo Tomé']),\n"
    "('San Luis', ARRAY['Villa Mercedes','Buena Esperanza','Justo Daract']),\n"
    "('Mendoza', ARRAY['San Rafael','General Alvear','Tunuyán','Maipú']),\n"
    "('Río Negro', ARRAY['General Roca','Viedma','Choele Choel','Villa Regina']),\n"
    "('Neuquén', ARRAY['Zapala','Chos Malal','Centenario']),\n"
    "('Misiones', ARRAY['Oberá','Apóstoles','Eldorado']),\n"
    "('Jujuy', ARRAY['Perico','San Pedro','Monterrico']),\n"
    "('Catamarca', ARRAY['Tinogasta','Belén','Santa María']),\n"
    "('Formosa', ARRAY['Clorinda','Pirané','El Colorado']),\n"
    "('La Rioja', ARRAY['Chilecito','Chamical','Aimogasta']),\n"
    "('San Juan', ARRAY['Caucete','Pocito','Jáchal']),\n"
    "('Chubut', ARRAY['Trelew','Esquel','Gaiman']),\n"
    "('Santa Cruz', ARRAY['Gobernador Gregores','Río Gallegos','Perito Moreno']),\n"
    "('Tierra del Fuego', ARRAY['Río Grande','Tolhuin']),\n"
    "('Ciudad Autónoma de Buenos Aires', ARRAY['Palermo','Belgrano','Caballito']);\n";

static const char SEED_CATEGORIES[] =
    "-- Per category: weight (share of ads), USD share, price range in USD (per\n"
    "-- unit of n when per_n), share without price, the range of n, subjects\n"
    "-- (\"a|b\"), kinds, title and description templates. Placeholders: {a} {b}\n"
    "-- (the subject's parts), {k} (a kind), {n}, {y} (a year), {loc}.\n"
    "CREATE TEMP TABLE seed_categories (\n"
    "  id integer PRIMARY KEY, weight integer, usd_share float8, pmin float8, pmax float8,\n"
    "  per_n boolean, no_price float8, n_min integer, n_max integer,\n"
    "  subjects text[], kinds text[], titles text[], descs text[]);\n"
    "INSERT INTO seed_categories VALUES\n"
    "(101, 14, 0.85, 6000, 180000, false, 0.04, 60, 400,\n"
    " ARRAY['John Deere|5090E','John Deere|6110J','John Deere|7230J','John Deere|3350','Massey Ferguson|MF 4292','Massey Ferguson|MF 7415','Massey Ferguson|MF 1185','New Holland|TM 7040','New Holland|T7.260','Case IH|Puma 185','Case IH|Farmall 110A','Deutz-Fahr|Agrofarm 100','Deutz|AX 120','Valtra|BH 180','Pauny|EVO 280','Zanello|4200','Fiat|800E','Hanomag|R55'],\n"
    " ARRAY['simple','doble'],\n"
    " ARRAY['Tractor {a} {b}','Tractor {a} {b} año {y}','Tractor {a} {b} {n} HP','Vendo tractor {a} {b}, tracción {k}','{a} {b} impecable'],\n"
    " ARRAY['Tractor en muy buen estado, siempre bajo techo.','Único dueño, service al día.','Cubiertas al 70%, tres puntos y toma de fuerza funcionando.','Cabina con aire acondicionado y calefacción.','Se entrega con pala frontal.','Motor reparado hace 500 horas.','Papeles al día, listo para transferir.','Equipado con piloto automático y monitor.']),\n"
    "(102, 5, 0.9, 25000, 420000, false, 0.03, 20, 45,\n"
    " ARRAY['John Deere|S680','John Deere|1470','John Deere|9670 STS','Case IH|Axial-Flow 8250','New Holland|CR 6.80','Claas|Lexion 770','Vassalli|AX 7500','Don Roque|RV 150','Metalfor|Araus 1850'],\n"
    " ARRAY['simple','doble'],\n"
    " ARRAY['Cosechadora {a} {b}','Cosechadora {a} {b} año {y}','Cosechadora {a} {b} con cabezal de {n} pies','Vendo cosechadora {a} {b}'],\n"
    " ARRAY['Lista para trabajar, con monitor de rendimiento.','Cabezal girasolero incluido.','Se entrega con carro porta cabezal.','Siempre bajo galpón.','Orugas y dual opcionales.','Service completo para esta campaña.']),\n"
    "(103, 5, 0.8, 4000, 95000, false, 0.05, 8, 32,\n"
    " ARRAY['Agrometal|TX Mega','Pierobon|Gringa','Apache|27000','Crucianelli|Pionera','Erca|SD 3200','Giorgi|Precisa','Tanzi|9800','Bertini|32000'],\n"
    " ARRAY['grano grueso','grano fino','neumática'],\n"
    " ARRAY['Sembradora {a} {b} de {n} surcos','Sembradora de siembra directa {a} {b}','Sembradora {a} {b} año {y}','Vendo sembradora {k} {a}'],\n"
    " ARRAY['Dosificación neumática, monitor de siembra.','Doble fertilización.','Cuchillas y abresurcos nuevos.','Lista para la campaña gruesa.','Se vende por renovación de equipo.']),\n"
    "(104, 4, 0.8, 3000, 160000, false, 0.05, 600, 4000,\n"
    " ARRAY['Pla|MAP II','Metalfor|Multiple 3200','Caimán|P-3000','Jacto|Uniport 3030','Favot|AF 3000','Hatsuta|Bigsprayer'],\n"
    " ARRAY['autopropulsada','de arrastre','de tres puntos'],\n"
    " ARRAY['Pulverizadora {a} {b}','Pulverizadora {k} {a} {b}','Pulverizadora {a} de {n} litros','Vendo pulverizadora {a} {b} año {y}'],\n"
    " ARRAY['Botalón de aluminio, corte por secciones.','Con banderillero satelital.','Picos nuevos, bomba revisada.','Lista para trabajar.','Tanque de acero inoxidable.']),\n"
    "(105, 6, 0.4, 800, 45000, false, 0.08, 1, 1,\n"
    " ARRAY['rastra|Rastra de discos','arado|Arado de rejas','cincel|Cincel','rolo|Rolo triturador','tolva|Tolva autodescargable','acoplado|Acoplado rural','mixer|Mixer','embolsadora|Embolsadora de granos','otro|Desmalezadora de arrastre'],\n"
    " ARRAY['Akron','Cestari','Richiger','Ombú','Grosspal','Mainero','Montecor','Yomel','Gherardi'],\n"
    " ARRAY['{b} {k}','{b} {k} año {y}','Vendo {b} marca {k}','{b} en buen estado'],\n"
    " ARRAY['En buen estado general.','Se entrega listo para trabajar.','Cubiertas nuevas.','Poco uso, siempre bajo techo.','Acepto permuta por cereal.']),\n"
    "(106, 3, 0.2, 50, 9000, false, 0.1, 1, 1,\n"
    " ARRAY['Bomba inyectora|Bosch','Embrague|Sachs','Cubiertas 18.4-38|Firestone','Kit de cuchillas|Agrometal','Radiador|John Deere','Burro de arranque|Prestolite','Mangueras hidráulicas|Parker','Bomba hidráulica|Danfoss'],\n"
    " ARRAY['John Deere 3350','Massey Ferguson 1185','Deutz AX 120','Fiat 780','New Holland TM 150','Case IH Magnum'],\n"
    " ARRAY['{a} {b} para {k}','Vendo {a} marca {b}','{a} {b} nuevo','{a} para {k}'],\n"
    " ARRAY['Nuevo, en caja.','Usado, funcionando.','Original.','Envíos a todo el país.','Consultar por otros repuestos.']),\n"
    "(201, 12, 0.1, 500, 1600, true, 0.03, 5, 200,\n"
    " ARRAY['Aberdeen Angus|Angus','Hereford|Hereford','Braford|Braford','Brangus|Brangus','Holando Argentino|Holando','Shorthorn|Shorthorn','Limousin|Limousin','Cruza|cruza'],\n"
    " ARRAY['ternero','novillo','vaquillona','vaca','toro'],\n"
    " ARRAY['Lote de {n} {k}s {b}','{n} {k}s {a}','Vendo {k}s {b} de buena genética','{n} {k}s {b} en {loc}'],\n"
    " ARRAY['Hacienda sana, con vacunas al día.','Destetados y desparasitados.','Buen estado corporal.','Con DTE y guía.','Excelente genética, de cabaña.','Se puede ver en el campo.']),\n"
    "(202, 3, 0.05, 60, 250, true, 0.05, 10, 400,\n"
    " ARRAY['Merino|merino','Corriedale|Corriedale','Texel|Texel','Hampshire Down|Hampshire','Pampinta|Pampinta','Dorper|Dorper','Cruza|cruza'],\n"
    " ARRAY['cordero','borrego','oveja','carnero'],\n"
    " ARRAY['Lote de {n} {k}s {b}','{n} {k}s {a}','Vendo {k}s {b}'],\n"
    " ARRAY['Majada sana, esquilada.','Con sanidad al día.','Buena lana.','Ideal para recría.']),\n"
    "(203, 2, 0.05, 40, 400, true, 0.05, 5, 150,\n"
    " ARRAY['Landrace|Landrace','Large White|Large White','Duroc|Duroc','Hampshire|Hampshire','Cruza|cruza'],\n"
    " ARRAY['lechón','capón','cachorro','cerda','padrillo'],\n"
    " ARRAY['{n} {k}s {b}','Vendo {k}s {b}','Lote de {k}s {a}'],\n"
    " ARRAY['Criados a campo.','Buena conversión.','Sanidad al día.','Entrega en granja.']),\n"
    "(204, 3, 0.2, 800, 12000, false, 0.05, 2, 20,\n"
    " ARRAY['Criollo|criollo','Cuarto de Milla|cuarto de milla','Pura Sangre|pura sangre','Árabe|árabe','Percherón|percherón','Silla Argentino|silla argentino','Mestizo|mestizo'],\n"
    " ARRAY['macho','hembra','castrado'],\n"
    " ARRAY['Caballo {b}, {n} años','Yegua {b} mansa','Vendo caballo {b} domado','Potrillo {b} de {n} años'],\n"
    " ARRAY['Manso, apto para trabajo de campo.','Muy buena rienda.','Ideal para principiantes.','Con papeles de la asociación.','Apto polo y pato.']),\n"
    "(205, 1, 0.05, 50, 220, true, 0.05, 5, 120,\n"
    " ARRAY['Anglo Nubian|anglo nubian','Saanen|Saanen','Boer|Boer','Criolla|criollas','Cruza|cruza'],\n"
    " ARRAY['chivo','cabra','cabrito'],\n"
    " ARRAY['{n} {k}s {b}','Vendo {k}s {a}','Lote de {k}s {b}'],\n"
    " ARRAY['Animales sanos.','Buenas productoras de leche.','Criados a campo.']),\n"
    "(301, 6, 0.95, 1500, 16000, true, 0.1, 50, 3000,\n"
    " ARRAY['agrícola|agrícola','ganadero|ganadero','mixto|mixto'],\n"
    " ARRAY['venta','alquiler','arrendamiento'],\n"
    " ARRAY['Campo {a} de {n} hectáreas','Vendo campo {a} de {n} ha en {loc}','Campo de {n} has, apto {a}','Campo {b} en {loc}, {n} ha'],\n"
    " ARRAY['Suelos de muy buena aptitud.','Escritura al día.','Acceso por ruta asfaltada.','Napa a poca profundidad.','Alambrado perimetral en buen estado.','Con casa principal y galpón.']),\n"
    "(302, 2, 0.8, 3000, 25000, true, 0.1, 5, 100,\n"
    " ARRAY['chacra|Chacra','chacra mixta|Chacra mixta','chacra agrícola|Chacra agrícola'],\n"
    " ARRAY['venta','alquiler','arrendamiento'],\n"
    " ARRAY['{b} de {n} hectáreas','Vendo {a} de {n} ha cerca de {loc}','{b} en {loc}'],\n"
    " ARRAY['Cerca del pueblo.','Con luz y agua.','Ideal para emprendimiento productivo.','Escritura al día.']),\n"
    "(303, 2, 0.8, 8000, 60000, true, 0.1, 1, 20,\n"
    " ARRAY['quinta|Quinta','quinta con casa|Quinta con casa','quinta frutal|Quinta frutal'],\n"
    " ARRAY['venta','alquiler'],\n"
    " ARRAY['{b} de {n} ha en {loc}','Vendo {a} en {loc}','{b} sobre ruta, {n} hectáreas'],\n"
    " ARRAY['Frutales en producción.','Pileta y quincho.','Pozo de agua y tanque.','Ideal fin de semana.']),\n"
    "(401, 3, 0.3, 15, 90, true, 0.05, 10, 500,\n"
    " ARRAY['soja|DM 46i20','soja|NS 4955','maíz|DK 72-10','maíz|AX 7822','trigo|Baguette 620','trigo|ACA 360','girasol|Paraíso 1100','sorgo|ACA 558','cebada|Andreia','alfalfa|Monarca','pasturas|Festuca Fuego'],\n"
    " ARRAY['bolsas'],\n"
    " ARRAY['Semilla de {a} {b}','Vendo semilla de {a} {b}, {n} bolsas','Semilla {b} ({a})'],\n"
    " ARRAY['Curada y embolsada.','Alto poder germinativo.','Con análisis de calidad.','Entrega en planta.']),\n"
    "(402, 2, 0.6, 300, 900, true, 0.05, 1, 200,\n"
    " ARRAY['Urea granulada|urea','Fosfato diamónico|fosfato diamónico','Fosfato monoamónico|fosfato monoamónico','UAN 32|UAN','Sulfato de amonio|sulfato de amonio'],\n"
    " ARRAY['toneladas'],\n"
    " ARRAY['{a} - {n} toneladas','Vendo {b} a granel','{a} en big bag'],\n"
    " ARRAY['Entrega en campo.','Precio por tonelada a convenir.','Factura A.','Stock permanente.']),\n"
    "(403, 2, 0.6, 3, 40, true, 0.1, 20, 2000,\n"
    " ARRAY['Glifosato 66%|glifosato','Atrazina 90%|atrazina','2,4-D amina|2,4-D','Cletodim 24%|cletodim','Imazetapir|imazetapir','Clorimurón|clorimurón'],\n"
    " ARRAY['litros'],\n"
    " ARRAY['{a} - {n} litros','Vendo {a}','{a} en bidones de 20 litros'],\n"
    " ARRAY['Producto con registro SENASA.','Fecha de vencimiento lejana.','Envíos a todo el país.','Precio por litro.']),\n"
    "(404, 2, 0.05, 8, 30, true, 0.05, 10, 800,\n"
    " ARRAY['bovinos|Balanceado para recría bovina','bovinos|Núcleo para feedlot','porcinos|Alimento para cerdos','aves|Alimento para ponedoras','equinos|Alimento para caballos','ovinos|Balanceado para corderos'],\n"
    " ARRAY['bolsas'],\n"
    " ARRAY['{b} - {n} bolsas','Vendo {b}','{b} de primera calidad'],\n"
    " ARRAY['Bolsas de 40 kg.','Fórmula balanceada por nutricionista.','Entrega a domicilio en la zona.']),\n"
    "(5, 9, 0.35, 4000, 90000, false, 0.03, 5000, 450000,\n"
    " ARRAY['Toyota|Hilux','Ford|Ranger','Volkswagen|Amarok','Chevrolet|S10','Nissan|Frontier','Fiat|Strada','Renault|Alaskan','Mercedes-Benz|Atego 1726','Iveco|Tector','Ford|Cargo 1723','Scania|P310'],\n"
    " ARRAY['4x2','4x4'],\n"
    " ARRAY['{a} {b} {y}','{a} {b} {y} {k}','Vendo {a} {b} con {n} km','{a} {b} impecable'],\n"
    " ARRAY['Único dueño, service oficial.','Cubiertas nuevas.','VTV al día.','Lista para transferir.','Con enganche y cúpula.','Motor diésel sin detalles.']),\n"
    "(601, 3, 0.3, 20, 400, false, 0.6, 1, 1,\n"
    " ARRAY['siembra|siembra directa','cosecha|cosecha de granos','pulverización|pulverización terrestre','fertilización|fertilización','embolsado|embolsado y extracción de granos','laboreo|laboreo de suelos'],\n"
    " ARRAY['por hectárea'],\n"
    " ARRAY['Contratista de {b}','Servicio de {b} en {loc} y zona','Realizo trabajos de {b}'],\n"
    " ARRAY['Equipos propios y modernos.','Más de 20 años de experiencia.','Trabajo en toda la zona.','Presupuestos sin cargo.']),\n"
    "(602, 1, 0.2, 50, 2000, false, 0.6, 20, 120,\n"
    " ARRAY['jaula simple|Transporte de hacienda','jaula doble|Transporte de hacienda en jaula doble','chasis y acoplado|Fletes de hacienda'],\n"
    " ARRAY['por kilómetro'],\n"
    " ARRAY['{b}','{b} desde {loc}','{b}, capacidad {n} cabezas'],\n"
    " ARRAY['Habilitado por SENASA.','Viajes a todo el país.','Seguro de carga.']),\n"
    "(603, 1, 0.1, 20, 300, false, 0.7, 1, 1,\n"
    " ARRAY['grandes animales|Veterinario de grandes animales','reproducción|Servicio de inseminación artificial','sanidad|Planes sanitarios para rodeos','pequeños animales|Veterinaria rural'],\n"
    " ARRAY['a domicilio'],\n"
    " ARRAY['{b} en {loc}','{b}','{b}, atención {k}'],\n"
    " ARRAY['Atención en el campo.','Tacto y ecografía.','Urgencias las 24 horas.']),\n"
    "(7, 2, 0.05, 500, 2500, false, 0.7, 1, 1,\n"
    " ARRAY['Peón rural|peón rural','Tractorista|tractorista','Encargado de campo|encargado de campo','Mecánico de maquinaria agrícola|mecánico','Tambero|tambero','Puestero|puestero','Operario de planta de silos|operario'],\n"
    " ARRAY['tiempo completo','medio tiempo','temporal'],\n"
    " ARRAY['Se busca {b}','Busco trabajo como {b}','Ofrezco empleo: {a}','{a} ({k}) en {loc}'],\n"
    " ARRAY['Con referencias.','Se ofrece vivienda.','Incorporación inmediata.','Experiencia comprobable.']);\n";

static const char SEED_USERS[] =
    "INSERT INTO users (email, password_hash, name, phone, province, role)\n"
    "VALUES ('admin@rural24.test', current_setting('rural24.password_hash'), 'Administración Rural24', NULL, 'Buenos Aires', 'admin'),\n"
    "       ('demo@rural24.test', current_setting('rural24.password_hash'), 'Usuario Demo', '+54 9 2477 555000', 'Buenos Aires', 'user')\n"
    "ON CONFLICT (email) DO NOTHING;\n"
    "\n"
    "INSERT INTO users (email, password_hash, name, phone, province, created_at)\n"
    "SELECT lower(immutable_unaccent(fn)) || '.' || lower(immutable_unaccent(replace(ln, ' ', ''))) || '.' || k\n"
    "         || '@' || pg_temp.pick(w.domains, pg_temp.rnd(k, 3)),\n"
    "       current_setting('rural24.password_hash'),\n"
    "       fn || ' ' || ln,\n"
    "       CASE WHEN pg_temp.rnd(k, 4) < 0.8 THEN\n"
    "         '+54 9 ' || pg_temp.pick(w.areas, pg_temp.rnd(k, 5)) || ' ' || (100000 + floor(pg_temp.rnd(k, 6) * 899999))::bigint\n"
    "       END,\n"
    "       CASE WHEN pg_temp.rnd(k, 7) < 0.95 THEN pg_temp.pick(w.provinces, pg_temp.rnd(k, 8)) END,\n"
    "       date_trunc('minute', now()) - pg_temp.rnd(k, 9) * interval '1000 days'\n"
    "FROM (SELECT (SELECT words FROM seed_words WHERE name = 'first_names') AS first_names,\n"
    "             (SELECT words FROM seed_words WHERE name = 'last_names') AS last_names,\n"
    "             (SELECT words FROM seed_words WHERE name = 'domains') AS domains,\n"
    "             (SELECT words FROM seed_words WHERE name = 'area_codes') AS areas,\n"
    "             (SELECT words FROM seed_words WHERE name = 'provinces') AS provinces,\n"
    "             (SELECT coalesce(max(id), 0) FROM users) AS base) AS w,\n"
    "     generate_series(1, current_setting('rural24.users')::integer) AS g(i),\n"
    "     LATERAL (SELECT w.base + g.i AS k) AS kk,\n"
    "     LATERAL (SELECT pg_temp.pick(w.first_names, pg_temp.rnd(kk.k, 1)) AS fn,\n"
    "                     pg_temp.pick(w.last_names, pg_temp.rnd(kk.k, 2)) AS ln) AS n\n"
    "ORDER BY 6, kk.k\n"
    "ON CONFLICT (email) DO NOTHING;\n";

static const char SEED_EXCHANGE_RATE[] =
    "SELECT set_exchange_rate(current_setting('rural24.usd_ars')::numeric)\n"
    "WHERE NOT EXISTS (SELECT 1 FROM exchange_rate);\n";

static const char SEED_ADS[] =
    "INSERT INTO ads (id, user_id, category_id, title, description, price, currency, price_ars, price_unit,\n"
    "                 province, locality, attributes, status, views, is_featured, featured_until, expires_at,\n"
    "                 created_at)\n"
    "SELECT k, user_id, category_id, title, description, price, currency,\n"
    "       CASE WHEN currency = 'USD' THEN round(price * rate, 2) ELSE price END, price_unit,\n"
    "       province, locality, attributes, status, views, is_featured, featured_until,\n"
    "       created_at + interval '120 days', created_at\n"
    "FROM (\n"
    "  SELECT r.*,\n"
    "    left(replace(replace(replace(replace(replace(replace(pg_temp.pick(sc.titles, pg_temp.rnd(r.k, 17)),\n"
    "      '{a}', r.a), '{b}', r.b), '{k}', r.kind), '{n}', r.n::text), '{y}', r.y::text), '{loc}', r.locality), 120)\n"
    "      AS title,\n"
    "    replace(pg_temp.pick(sc.descs, pg_temp.rnd(r.k, 18)) || ' ' || pg_temp.pick(sc.descs, pg_temp.rnd(r.k, 19))\n"
    "      || ' ' || pg_temp.pick(r.closings, pg_temp.rnd(r.k, 20)), '{loc}', r.locality) AS description,\n"
    "    CASE WHEN pg_temp.rnd(r.k, 15) < sc.no_price THEN NULL\n"
    "         ELSE pg_temp.nice((sc.pmin + (sc.pmax - sc.pmin) * pg_temp.rnd(r.k, 16) ^ 2)\n"
    "                           * CASE WHEN sc.per_n AND r.price_unit = 'total' THEN r.n ELSE 1 END\n"
    "                           * CASE WHEN r.usd THEN 1 ELSE r.rate END)\n"
    "    END AS price,\n"
    "    CASE WHEN pg_temp.rnd(r.k, 15) < sc.no_price THEN NULL\n"
    "         WHEN r.usd THEN 'USD' ELSE 'ARS' END AS currency,\n"
    "    CASE r.slug\n"
    "      WHEN 'tractores' THEN jsonb_build_object('condition', r.cond, 'brand', r.a, 'model', r.b, 'year', r.y,\n"
    "             'hours', floor((2025 - r.y) * 400 * pg_temp.rnd(r.k, 30)), 'hp', r.n, 'traction', r.kind)\n"
    "      WHEN 'cosechadoras' THEN jsonb_build_object('condition', r.cond, 'brand', r.a, 'model', r.b, 'year', r.y,\n"
    "             'hours', floor((2025 - r.y) * 300 * pg_temp.rnd(r.k, 30)), 'header_ft', r.n, 'traction', r.kind)\n"
    "      WHEN 'sembradoras' THEN jsonb_build_object('condition', r.cond, 'brand', r.a, 'model', r.b, 'year', r.y,\n"
    "             'rows', r.n, 'row_spacing_cm', pg_temp.pick(ARRAY[35, 42, 52, 70], pg_temp.rnd(r.k, 30)), 'seed_type', r.kind)\n"
    "      WHEN 'pulverizadoras' THEN jsonb_build_object('condition', r.cond, 'brand', r.a, 'model', r.b, 'year', r.y,\n"
    "             'sprayer_type', r.kind, 'tank_l', r.n, 'boom_m', pg_temp.pick(ARRAY[18, 24, 28, 30, 36], pg_temp.rnd(r.k, 30)))\n"
    "      WHEN 'implementos' THEN jsonb_build_object('condition', r.cond, 'implement_type', r.a, 'brand', r.kind, 'year', r.y)\n"
    "      WHEN 'repuestos' THEN jsonb_build_object('condition', r.cond, 'part', r.a, 'brand', r.b, 'compatible_with', r.kind)\n"
    "      WHEN 'bovinos' THEN jsonb_build_object('breed', r.a, 'head_count', r.n, 'category', r.kind,\n"
    "             'avg_weight_kg', 150 + floor(450 * pg_temp.rnd(r.k, 30)))\n"
    "      WHEN 'ovinos' THEN jsonb_build_object('breed', r.a, 'head_count', r.n, 'category', r.kind,\n"
    "             'avg_weight_kg', 25 + floor(45 * pg_temp.rnd(r.k, 30)))\n"
    "      WHEN 'porcinos' THEN jsonb_build_object('breed', r.a, 'head_count', r.n, 'category', r.kind,\n"
    "             'avg_weight_kg', 15 + floor(165 * pg_temp.rnd(r.k, 30)))\n"
    "      WHEN 'equinos' THEN jsonb_build_object('breed', r.a, 'age_years', r.n, 'sex', r.kind,\n"
    "             'coat', pg_temp.pick(r.coats, pg_temp.rnd(r.k, 30)), 'tamed', pg_temp.rnd(r.k, 31) < 0.7)\n"
    "      WHEN 'caprinos' THEN jsonb_build_object('breed', r.a, 'head_count', r.n,\n"
    "             'avg_weight_kg', 20 + floor(40 * pg_temp.rnd(r.k, 30)))\n"
    "      WHEN 'campos' THEN jsonb_build_object('operation', r.kind, 'hectares', r.n, 'use', r.a,\n"
    "             'water', pg_temp.rnd(r.k, 30) < 0.8, 'improvements', pg_temp.pick(r.improvements, pg_temp.rnd(r.k, 31)))\n"
    "      WHEN 'chacras' THEN jsonb_build_object('operation', r.kind, 'hectares', r.n, 'water', pg_temp.rnd(r.k, 30) < 0.9,\n"
    "             'improvements', pg_temp.pick(r.improvements, pg_temp.rnd(r.k, 31)), 'distance_km', 1 + floor(30 * pg_temp.rnd(r.k, 32)))\n"
    "      WHEN 'quintas' THEN jsonb_build_object('operation', r.kind, 'hectares', r.n, 'water', true,\n"
    "             'house', pg_temp.rnd(r.k, 30) < 0.7, 'improvements', pg_temp.pick(r.improvements, pg_temp.rnd(r.k, 31)))\n"
    "      WHEN 'semillas' THEN jsonb_build_object('quantity', r.n, 'unit', 'bolsas', 'crop', r.a, 'variety', r.b)\n"
    "      WHEN 'fertilizantes' THEN jsonb_build_object('quantity', r.n, 'unit', 'toneladas', 'product', r.a)\n"
    "      WHEN 'agroquimicos' THEN jsonb_build_object('quantity', r.n, 'unit', 'litros', 'product', r.a, 'active_ingredient', r.b)\n"
    "      WHEN 'alimento-balanceado' THEN jsonb_build_object('quantity', r.n, 'unit', 'bolsas', 'animal', r.a)\n"
    "      WHEN 'camionetas-y-camiones' THEN jsonb_build_object('brand', r.a, 'model', r.b, 'year', r.y, 'km', r.n,\n"
    "             'fuel', CASE WHEN pg_temp.rnd(r.k, 30) < 0.85 THEN 'diésel' ELSE 'nafta' END, 'traction', r.kind)\n"
    "      WHEN 'contratistas' THEN jsonb_build_object('service', r.a, 'area', r.locality || ' y zona')\n"
    "      WHEN 'transporte-de-hacienda' THEN jsonb_build_object('capacity_heads', r.n, 'area', r.province)\n"
    "      WHEN 'veterinaria' THEN jsonb_build_object('specialty', r.a, 'area', r.locality || ' y zona')\n"
    "      WHEN 'empleos' THEN jsonb_build_object('position', r.a, 'schedule', r.kind, 'housing', pg_temp.rnd(r.k, 30) < 0.5)\n"
    "      ELSE '{}'::jsonb\n"
    "    END AS attributes\n"
    "  FROM (\n"
    "    SELECT x.*, c.slug, u.province AS user_province,\n"
    "      split_part(pg_temp.pick(sc.subjects, pg_temp.rnd(x.k, 3)), '|', 1) AS a,\n"
    "      split_part(pg_temp.pick(sc.subjects, pg_temp.rnd(x.k, 3)), '|', 2) AS b,\n"
    "      pg_temp.pick(sc.kinds, pg_temp.rnd(x.k, 4)) AS kind,\n"
    "      sc.n_min + floor(pg_temp.rnd(x.k, 5) * (sc.n_max - sc.n_min + 1))::integer AS n,\n"
    "      pg_temp.rnd(x.k, 14) < sc.usd_share AS usd,\n"
    "      CASE WHEN pg_temp.rnd(x.k, 21) < 0.2 THEN 'nuevo' ELSE 'usado' END AS cond,\n"
    "      -- Some lots are priced by the unit (API.md price_unit) rather than as a whole.\n"
    "      CASE WHEN NOT sc.per_n OR pg_temp.rnd(x.k, 23) >= 0.3 THEN 'total'\n"
    "           WHEN x.category_id BETWEEN 200 AND 299 THEN 'per_head'\n"
    "           WHEN x.category_id IN (301, 302) THEN 'per_ha'\n"
    "           WHEN x.category_id = 402 THEN 'per_ton'\n"
    "           ELSE 'total' END AS price_unit,\n"
    "      prov.province,\n"
    "      pg_temp.pick(l.names, pg_temp.rnd(x.k, 9)) AS locality\n"
    "    FROM (\n"
    "      SELECT w.*, w.base + g.i AS k,\n"
    "        pg_temp.pick(w.cat_slots, pg_temp.rnd(w.base + g.i, 1)) AS category_id,\n"
    "        w.user_ids[1 + floor(cardinality(w.user_ids) * pg_temp.rnd(w.base + g.i, 2) ^ 2)::integer] AS user_id,\n"
    "        1990 + floor(pg_temp.rnd(w.base + g.i, 6) * 35)::integer AS y,\n"
    "        w.t0 - ((w.ads_n - g.i) + 0.9 * pg_temp.rnd(w.base + g.i, 10)) * (interval '120 days' / w.ads_n) AS created_at,\n"
    "        CASE WHEN pg_temp.rnd(w.base + g.i, 11) < 0.86 THEN 'active'\n"
    "             WHEN pg_temp.rnd(w.base + g.i, 11) < 0.91 THEN 'paused'\n"
    "             WHEN pg_temp.rnd(w.base + g.i, 11) < 0.96 THEN 'sold'\n"
    "             ELSE 'expired' END AS status,\n"
    "        pg_temp.rnd(w.base + g.i, 12) < 0.05 AS is_featured,\n"
    "        floor(pg_temp.rnd(w.base + g.i, 22) ^ 3 * 3000)::bigint AS views\n"
    "      FROM (SELECT (SELECT array_agg(id ORDER BY id) FROM users) AS user_ids,\n"
    "                   (SELECT array_agg(sc.id ORDER BY sc.id) FROM seed_categories sc, generate_series(1, sc.weight)) AS cat_slots,\n"
    "                   (SELECT words FROM seed_words WHERE name = 'provinces') AS provinces,\n"
    "                   (SELECT words FROM seed_words WHERE name = 'closings') AS closings,\n"
    "                   (SELECT words FROM seed_words WHERE name = 'coats') AS coats,\n"
    "                   (SELECT words FROM seed_words WHERE name = 'improvements') AS improvements,\n"
    "                   current_setting('rural24.ads_base')::bigint AS base,\n"
    "                   current_setting('rural24.ads')::integer AS ads_n,\n"
    "                   (SELECT usd_ars FROM exchange_rate) AS rate,\n"
    "                   date_trunc('minute', now()) AS t0) AS w,\n"
    "           generate_series(1 + current_setting('rural24.part')::integer, current_setting('rural24.ads')::integer,\n"
    "                           current_setting('rural24.parts')::integer) AS g(i)\n"
    "      WHERE w.user_ids IS NOT NULL\n"
    "    ) AS x\n"
    "    JOIN seed_categories sc ON sc.id = x.category_id\n"
    "    JOIN categories c ON c.id = x.category_id\n"
    "    JOIN users u ON u.id = x.user_id\n"
    "    CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.rnd(x.k, 7) < 0.6 AND u.province IS NOT NULL\n"
    "                                    THEN u.province::text\n"
    "                                    ELSE pg_temp.pick(x.provinces, pg_temp.rnd(x.k, 8)) END AS province) AS prov\n"
    "    JOIN seed_localities l ON l.province = prov.province\n"
    "  ) AS r\n"
    "  JOIN seed_categories sc ON sc.id = r.category_id\n"
    ") AS ad\n"
    "CROSS JOIN LATERAL (SELECT CASE WHEN ad.is_featured THEN ad.t0 + (1 + pg_temp.rnd(ad.k, 13) * 29) * interval '1 day' END AS featured_until) AS f\n"
    "ORDER BY k;\n";

static const char SEED_FAVORITES[] =
    "INSERT INTO favorites (user_id, ad_id, created_at)\n"
    "SELECT w.user_ids[1 + floor(cardinality(w.user_ids) * pg_temp.rnd(w.base + g.i, 1))::integer],\n"
    "       w.ad_ids[1 + floor(cardinality(w.ad_ids) * pg_temp.rnd(w.base + g.i, 2))::integer],\n"
    "       w.t0 - pg_temp.rnd(w.base + g.i, 3) * interval '30 days'\n"
    "FROM (SELECT (SELECT array_agg(id ORDER BY id) FROM users) AS user_ids,\n"
    "             (SELECT array_agg(id ORDER BY id) FROM ads WHERE status = 'active') AS ad_ids,\n"
    "             (SELECT count(*) FROM favorites) AS base,\n"
    "             date_trunc('minute', now()) AS t0) AS w,\n"
    "     generate_series(1, current_setting('rural24.ads')::integer / 10) AS g(i)\n"
    "WHERE w.ad_ids IS NOT NULL\n"
    "ON CONFLICT DO NOTHING;\n";

static const char SEED_MESSAGES[] =
    "INSERT INTO messages (sender_id, receiver_id, ad_id, body, created_at, read_at)\n"
    "SELECT sender_id, receiver_id, ad_id, body, created_at, read_at\n"
    "FROM (\n"
    "  SELECT c.k, m.j,\n"
    "         CASE WHEN m.j % 2 = 0 THEN c.buyer ELSE c.seller END AS sender_id,\n"
    "         CASE WHEN m.j % 2 = 0 THEN c.seller ELSE c.buyer END AS receiver_id,\n"
    "         c.ad_id,\n"
    "         CASE WHEN m.j = 0 THEN 'Hola, ¿sigue disponible \"' || left(c.title, 80) || '\"?'\n"
    "              WHEN m.j % 2 = 0 THEN pg_temp.pick(c.buyer_lines, pg_temp.rnd(c.k * 16 + m.j, 7))\n"
    "              ELSE pg_temp.pick(c.seller_lines, pg_temp.rnd(c.k * 16 + m.j, 7)) END AS body,\n"
    "         t.created_at,\n"
    "         CASE WHEN t.created_at < c.t0 - interval '3 hours'\n"
    "              THEN t.created_at + pg_temp.rnd(c.k * 16 + m.j, 8) * interval '2 hours' END AS read_at\n"
    "  FROM (\n"
    "    SELECT w.t0, w.buyer_lines, w.seller_lines, w.base + g.i AS k, a.id AS ad_id, a.user_id AS seller, a.title,\n"
    "           CASE WHEN b.id <> a.user_id THEN b.id\n"
    "                ELSE w.user_ids[1 + (array_position(w.user_ids, b.id) % cardinality(w.user_ids))] END AS buyer,\n"
    "           2 + floor(pg_temp.rnd(w.base + g.i, 2) * 7)::integer AS len,\n"
    "           a.created_at + (w.t0 - a.created_at) * (0.05 + 0.75 * pg_temp.rnd(w.base + g.i, 4)) AS started\n"
    "    FROM (SELECT (SELECT array_agg(id ORDER BY id) FROM users) AS user_ids,\n"
    "                 (SELECT array_agg(id ORDER BY id) FROM ads WHERE status <> 'deleted') AS ad_ids,\n"
    "                 (SELECT words FROM seed_words WHERE name = 'buyer_lines') AS buyer_lines,\n"
    "                 (SELECT words FROM seed_words WHERE name = 'seller_lines') AS seller_lines,\n"
    "                 (SELECT coalesce(max(id), 0) FROM messages) AS base,\n"
    "                 date_trunc('minute', now()) AS t0) AS w,\n"
    "         generate_series(1, ceil(current_setting('rural24.messages')::integer * 1.1 / 5)::integer + 10) AS g(i),\n"
    "         LATERAL (SELECT id, user_id, title, created_at FROM ads\n"
    "                  WHERE id = w.ad_ids[1 + floor(cardinality(w.ad_ids) * pg_temp.rnd(w.base + g.i, 1))::integer]) AS a,\n"
    "         LATERAL (SELECT w.user_ids[1 + floor(cardinality(w.user_ids) * pg_temp.rnd(w.base + g.i, 3))::integer] AS id) AS b\n"
    "    WHERE cardinality(w.user_ids) > 1\n"
    "  ) AS c\n"
    "  CROSS JOIN generate_series(0, c.len - 1) AS m(j)\n"
    "  CROSS JOIN LATERAL (SELECT least(c.started + m.j * interval '3 hours' + pg_temp.rnd(c.k * 16 + m.j, 6) * interval '2 hours',\n"
    "                                   c.t0 - (c.len - m.j) * interval '1 minute') AS created_at) AS t\n"
    "  WHERE c.buyer <> c.seller\n"
    "  ORDER BY t.created_at DESC, c.k DESC, m.j DESC\n"
    "  LIMIT current_setting('rural24.messages')::integer\n"
    ") AS msg\n"
    "ORDER BY created_at, k, j;\n";
/* clang-format on */

enum { ADS_PARTS = 2 }; /* connections that write ads at once (two cores) */

/* The error of a failed result as "seed step "what" failed: ...". */
static int step_error(PGconn *pg, PGresult *r, const char *what, char *err, size_t err_size)
{
    char line[768];
    db__one_line(r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(pg), line, sizeof(line));
    snprintf(err, err_size, "seed step \"%s\" failed: %s", what, line);
    return -1;
}

static int run(PGconn *pg, const char *what, const char *sql, int nparams,
               const char *const *params, char *err, size_t err_size)
{
    PGresult *r =
        nparams > 0 ? PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0) : PQexec(pg, sql);
    int rc = db__pgresult_ok(r) ? 0 : step_error(pg, r, what, err, err_size);
    PQclear(r);
    return rc;
}

/* Runs a step and logs its duration. */
static int run_step(PGconn *pg, const char *what, const char *sql, char *err, size_t err_size)
{
    uint64_t started = clock_now_ms();
    int rc = run(pg, what, sql, 0, NULL, err, err_size);
    if (rc == 0) {
        log_info("seed step done", "step", json_string(what), "duration_ms",
                 json_integer((json_int_t)(clock_now_ms() - started)), NULL);
        log_flush();
    }
    return rc;
}

static PGconn *connect_to(const char *url, char *err, size_t err_size)
{
    PGconn *pg = db__connect_blocking(url, err, err_size);
    if (pg == NULL)
        return NULL;
    return pg;
}

/* A session ready for the steps: settings, parameters (as session settings),
 * the helper functions and the word lists, which are all per session. */
static int prepare_session(PGconn *pg, const db_seed_opts_t *opts, int part, bool *bulk, char *err,
                           size_t err_size)
{
    char users[32], ads[32], messages[32], rate[64], part_text[16], parts_text[16];
    snprintf(users, sizeof(users), "%ld", opts->users);
    snprintf(ads, sizeof(ads), "%ld", opts->ads);
    snprintf(messages, sizeof(messages), "%ld", opts->messages);
    snprintf(rate, sizeof(rate), "%.4f", opts->usd_ars_rate);
    snprintf(part_text, sizeof(part_text), "%d", part);
    snprintf(parts_text, sizeof(parts_text), "%d", ADS_PARTS);
    const char *params[] = {users, ads, messages, opts->password_hash, rate, part_text, parts_text};
    if (run(pg, "session", "SET statement_timeout = 0; SET synchronous_commit = off", 0, NULL, err,
            err_size) != 0)
        return -1;
    /* Bulk-load mode, as pg_restore does, when the role may: triggers
     * (foreign-key checks, ads_price_ars) do not fire. Safe here because every
     * reference is picked from rows that exist and the ads step computes
     * price_ars itself; CHECK constraints still apply. */
    PGresult *r = PQexec(pg, "SET session_replication_role = replica");
    *bulk = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (run(pg, "parameters",
            "SELECT set_config('rural24.users', $1, false),"
            " set_config('rural24.ads', $2, false),"
            " set_config('rural24.messages', $3, false),"
            " set_config('rural24.password_hash', $4, false),"
            " set_config('rural24.usd_ars', $5, false),"
            " set_config('rural24.part', $6, false),"
            " set_config('rural24.parts', $7, false)",
            7, params, err, err_size) != 0)
        return -1;
    size_t n = sizeof(SEED_FUNCTIONS_HEAD) + sizeof(SEED_FUNCTIONS_TAIL) + 32;
    char *sql = xmalloc(n);
    snprintf(sql, n, "%s%lld%s", SEED_FUNCTIONS_HEAD, (long long)opts->seed, SEED_FUNCTIONS_TAIL);
    int rc = run(pg, "functions", sql, 0, NULL, err, err_size);
    free(sql);
    if (rc == 0)
        rc = run(pg, "word lists", SEED_WORDS, 0, NULL, err, err_size);
    if (rc == 0)
        rc = run(pg, "category content", SEED_CATEGORIES, 0, NULL, err, err_size);
    return rc;
}

/* The ads, written by ADS_PARTS sessions at once: part p writes rows p+1,
 * p+1+ADS_PARTS, ... with explicit ids (base + row), so the result does not
 * depend on how the sessions interleave. */
static int seed_ads(PGconn *const *sessions, char *err, size_t err_size)
{
    uint64_t started = clock_now_ms();
    PGresult *r = PQexec(sessions[0], "SELECT coalesce(max(id), 0) FROM ads");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = step_error(sessions[0], r, "ads", err, err_size);
        PQclear(r);
        return rc;
    }
    const char *base_params[] = {PQgetvalue(r, 0, 0)};
    for (int p = 0; p < ADS_PARTS; p++) {
        if (run(sessions[p], "ads", "SELECT set_config('rural24.ads_base', $1, false)", 1,
                base_params, err, err_size) != 0) {
            PQclear(r);
            return -1;
        }
    }
    PQclear(r);
    int sent = 0;
    for (; sent < ADS_PARTS; sent++) {
        if (!PQsendQuery(sessions[sent], SEED_ADS))
            break;
    }
    /* Collect every session's results, even after a failure, so that each
     * connection ends idle. */
    int rc = sent == ADS_PARTS ? 0 : step_error(sessions[sent], NULL, "ads", err, err_size);
    for (int p = 0; p < sent; p++) {
        while ((r = PQgetResult(sessions[p])) != NULL) {
            if (rc == 0 && !db__pgresult_ok(r))
                rc = step_error(sessions[p], r, "ads", err, err_size);
            PQclear(r);
        }
    }
    if (rc == 0)
        rc = run(sessions[0], "ads",
                 "SELECT setval(pg_get_serial_sequence('ads', 'id'),"
                 " greatest((SELECT max(id) FROM ads), 1))",
                 0, NULL, err, err_size);
    if (rc == 0) {
        log_info("seed step done", "step", json_string("ads"), "sessions", json_integer(ADS_PARTS),
                 "duration_ms", json_integer((json_int_t)(clock_now_ms() - started)), NULL);
        log_flush();
    }
    return rc;
}

static long count_rows(PGconn *pg, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    PGresult *r = PQexec(pg, sql);
    long n = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

/* 1 when the ads table has rows, 0 when empty, -1 on error. */
static int has_ads(PGconn *pg, char *err, size_t err_size)
{
    return db__exec_bool(pg, "SELECT EXISTS (SELECT 1 FROM ads)",
                         "cannot look at the ads table (migrated?)", err, err_size);
}

int db_seed(const char *url, const db_seed_opts_t *opts, db_seed_report_t *report, char *err,
            size_t err_size)
{
    memset(report, 0, sizeof(*report));
    uint64_t started = clock_now_ms();
    PGconn *sessions[ADS_PARTS] = {NULL};
    sessions[0] = connect_to(url, err, err_size);
    if (sessions[0] == NULL)
        return -1;
    PGconn *pg = sessions[0];
    int rc = 0;
    if (opts->if_empty) {
        int found = has_ads(pg, err, err_size);
        if (found != 0) {
            report->skipped = found == 1;
            PQfinish(pg);
            return found < 0 ? -1 : 0;
        }
    }
    for (int p = 1; p < ADS_PARTS && rc == 0; p++) {
        sessions[p] = connect_to(url, err, err_size);
        rc = sessions[p] != NULL ? 0 : -1;
    }
    bool bulk = false;
    for (int p = 0; p < ADS_PARTS && rc == 0; p++)
        rc = prepare_session(sessions[p], opts, p, &bulk, err, err_size);
    if (rc == 0)
        log_info("seed starting", "bulk_load", json_boolean(bulk), NULL);
    if (rc == 0)
        rc = run_step(pg, "users", SEED_USERS, err, err_size);
    if (rc == 0)
        rc = run_step(pg, "exchange rate", SEED_EXCHANGE_RATE, err, err_size);
    if (rc == 0)
        rc = seed_ads(sessions, err, err_size);
    if (rc == 0)
        rc = run_step(pg, "favorites", SEED_FAVORITES, err, err_size);
    if (rc == 0)
        rc = run_step(pg, "messages", SEED_MESSAGES, err, err_size);
    /* The search box's completions come from the ads just written. */
    if (rc == 0)
        rc = run_step(pg, "suggestions", "REFRESH MATERIALIZED VIEW suggest_terms", err, err_size);
    if (rc == 0)
        rc = run_step(pg, "analyze",
                      "ANALYZE users; ANALYZE ads; ANALYZE messages; ANALYZE favorites;"
                      " ANALYZE suggest_terms",
                      err, err_size);
    /* Merges the GIN index's pending list, so searches do not scan it. */
    if (rc == 0)
        rc = run_step(pg, "vacuum", "VACUUM ads", err, err_size);
    if (rc == 0) {
        report->users_total = count_rows(pg, "users");
        report->ads_total = count_rows(pg, "ads");
        report->messages_total = count_rows(pg, "messages");
        report->favorites_total = count_rows(pg, "favorites");
        report->duration_s = (double)(clock_now_ms() - started) / 1000.0;
    }
    for (int p = 0; p < ADS_PARTS; p++)
        PQfinish(sessions[p]);
    return rc;
}
