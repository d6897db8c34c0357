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

// ---- Mensajes, notificaciones y búsquedas guardadas (branch web-chat) ----
Object.assign(t, {
  titleMessages: 'Mensajes — Rural24',
  titleConversation: (name) => `Conversación con ${name} — Rural24`,
  titleNotifications: 'Notificaciones — Rural24',
  titleSavedSearches: 'Búsquedas guardadas — Rural24',
  messages: 'Mensajes',
  notifications: 'Notificaciones',
  notificationsUnread: (n) => (n === 1 ? '1 notificación sin leer' : `${n} notificaciones sin leer`),
  noConversations: 'Todavía no tenés mensajes. Escribile a un vendedor desde un aviso.',
  unreadMessages: (n) => (n === 1 ? '1 mensaje sin leer' : `${n} mensajes sin leer`),
  conversationWith: (name) => `Conversación con ${name}`,
  aboutAd: 'Sobre el aviso:',
  olderMessages: 'Ver anteriores',
  noMessagesYet: 'Todavía no hay mensajes. Escribí el primero.',
  messageLabel: 'Mensaje',
  send: 'Enviar',
  sendMessage: 'Enviar mensaje',
  loginToMessage: 'Ingresá para enviar un mensaje',
  you: 'Vos',
  typing: (name) => `${name} está escribiendo…`,
  typingShort: 'escribiendo…',
  msgPending: 'pendiente: se enviará cuando vuelva la conexión',
  msgSending: 'enviando…',
  msgSent: 'enviado',
  msgRead: 'leído',
  msgFailed: 'no se pudo enviar',
  newMessageFrom: (name) => `Nuevo mensaje de ${name}`,
  connOffline: 'Sin conexión. Los mensajes que escribas se enviarán cuando vuelva la señal.',
  connConnecting: 'Conectando…',
  backToMessages: 'Volver a Mensajes',
  sentAt: (d) => new Intl.DateTimeFormat('es-AR', { dateStyle: 'short', timeStyle: 'short' }).format(new Date(d)),

  noNotifications: 'No tenés notificaciones.',
  notificationText: (n) => {
    const d = n.data ?? {};
    const title = d.ad?.title ?? d.title ?? '';
    switch (n.type) {
      case 'saved_search_match':
        return d.count > 1
          ? `${d.count} avisos nuevos para tu búsqueda “${d.name}”`
          : `Un aviso nuevo para tu búsqueda “${d.name}”${d.ads?.[0] ? `: ${d.ads[0].title}` : ''}`;
      case 'price_drop':
        return `Bajó de precio un aviso de tus favoritos: ${title}`;
      case 'ad_expiring':
        return `Tu aviso “${title}” vence pronto`;
      case 'ad_expired':
        return `Tu aviso “${title}” venció. Podés renovarlo desde Mis avisos.`;
      case 'ad_moderated':
        return `Un moderador revisó tu aviso “${title}”${d.note ? `: ${d.note}` : ''}`;
      default:
        return 'Tenés una novedad.';
    }
  },
  markAllRead: 'Marcar todas como leídas',
  unreadMark: 'sin leer',

  saveSearch: 'Guardar búsqueda',
  searchSaved: 'Búsqueda guardada',
  savedSearchLimit: 'Ya tenés 20 búsquedas guardadas. Borrá alguna para guardar otra.',
  savedSearches: 'Búsquedas guardadas',
  noSavedSearches: 'No tenés búsquedas guardadas. Buscá algo y tocá “Guardar búsqueda”.',
  savedSearchName: (params) => params.q || params.category || 'Todos los avisos',
  newCount: (n) => (n === 1 ? '1 aviso nuevo' : `${n} avisos nuevos`),
  noNew: 'Sin avisos nuevos',
  seeResults: 'Ver resultados',
  markSeen: 'Marcar como vista',
  deleteSearch: 'Borrar',
  loginFirst: 'Ingresá para ver esta página.',
});
