// Every Spanish string the scripts show, in one place, so that wording is
// reviewed in one file (es-AR: voseo, "avisos", "hacienda"). The page's own
// static text (title, the search label, noscript) is in index.html.

export const t = {
  appName: 'Rural24',
  titleHome: 'Rural24 — clasificados del campo',
  titleSearch: (q) => (q ? `“${q}” — Buscar en Rural24` : 'Buscar en Rural24'),
  titleAd: (title) => `${title} — Rural24`,
  titleNotFound: 'Página no encontrada — Rural24',
  titleLogin: 'Ingresar — Rural24',
  titleRegister: 'Crear cuenta — Rural24',

  account: 'Cuenta',
  login: 'Ingresar',
  logout: 'Salir',
  register: 'Crear cuenta',
  hello: (name) => `Hola, ${name}`,
  email: 'Email',
  password: 'Contraseña',
  passwordHint: 'Al menos 8 caracteres.',
  name: 'Nombre',
  phoneOptional: 'Teléfono (opcional)',
  provinceOptional: 'Provincia (opcional)',
  chooseProvince: 'Elegí tu provincia',
  noAccount: '¿No tenés cuenta?',
  haveAccount: '¿Ya tenés cuenta?',
  loggedOut: 'Cerraste la sesión.',

  featured: 'Avisos destacados',
  noFeatured: 'Todavía no hay avisos destacados.',
  categories: 'Categorías',
  searchResults: (q) => (q ? `Resultados para “${q}”` : 'Todos los avisos'),
  resultsCount: (n, more) => (n === 0 ? 'No encontramos avisos.' : `${n}${more ? '+' : ''} avisos`),
  noResults: 'No encontramos avisos con esa búsqueda. Probá con otras palabras.',
  loadMore: 'Ver más',
  loading: 'Cargando…',
  consult: 'Consultar',
  noPhoto: 'Sin foto',
  seller: 'Vendedor',
  description: 'Descripción',
  backToSearch: 'Volver',
  notFound: 'No encontramos esta página.',
  adNotFound: 'Este aviso no existe o ya no está publicado.',
  goHome: 'Ir al inicio',

  /** The API's field errors (API.md error.fields) next to their field. */
  fieldError: (field, code) => {
    if (code === 'required') return field === 'email' ? 'Ingresá tu email.' : field === 'password' ? 'Ingresá una contraseña.' : 'Completá este dato.';
    if (code === 'taken') return 'Ya hay una cuenta con ese email. ¿Querés ingresar?';
    if (field === 'email') return 'Ese email no es válido.';
    if (field === 'password') return code === 'max_length' ? 'La contraseña puede tener hasta 128 caracteres.' : 'La contraseña debe tener al menos 8 caracteres.';
    if (field === 'name') return code === 'max_length' ? 'El nombre puede tener hasta 100 caracteres.' : 'Ese nombre no es válido.';
    if (field === 'phone') return 'El teléfono puede tener hasta 40 caracteres.';
    if (field === 'province') return 'Elegí una provincia de la lista.';
    return 'Revisá este dato.';
  },

  priceUnit: {
    total: '',
    per_head: 'por cabeza',
    per_kg: 'por kg',
    per_ha: 'por ha',
    per_month: 'por mes',
    per_ton: 'por tonelada',
  },

  errors: {
    offline: 'Sin conexión. Revisá tu señal y probá de nuevo.',
    rate_limited: (s) => `Demasiadas solicitudes. Esperá ${s || 'unos'} segundos y probá de nuevo.`,
    unavailable: 'El servicio no está disponible en este momento. Probá de nuevo en un rato.',
    not_found: 'No lo encontramos.',
    generic: 'Algo salió mal. Probá de nuevo.',
    invalid_credentials: 'El email o la contraseña no son correctos.',
    session_ended: 'Tu sesión se cerró. Ingresá de nuevo.',
    email_taken: 'Ya hay una cuenta con ese email.',
    validation_failed: 'Revisá los datos marcados.',
    retry: 'Reintentar',
  },
};
