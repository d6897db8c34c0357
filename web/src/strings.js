// Every Spanish string the scripts show, in one place, so that wording is
// reviewed in one file (es-AR: voseo, "avisos", "hacienda"). The page's own
// static text (title, the search label, noscript) is in index.html.

export const t = {
  appName: 'Rural24',
  titleHome: 'Rural24 — clasificados del campo',
  titleSearch: (q) => (q ? `“${q}” — Buscar en Rural24` : 'Buscar en Rural24'),
  titleAd: (title) => `${title} — Rural24`,
  titleNotFound: 'Página no encontrada — Rural24',

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
    retry: 'Reintentar',
  },
};
