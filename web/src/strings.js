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
  resultsCount: (n, more) => (n === 0 ? 'No encontramos avisos.' : n === 1 && !more ? '1 aviso' : `${n}${more ? '+' : ''} avisos`),
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
    if (field === 'current_password') return code === 'incorrect' ? 'Esa no es tu contraseña actual.' : 'Ingresá tu contraseña actual.';
    if (field === 'password' || field === 'new_password') return code === 'max_length' ? 'La contraseña puede tener hasta 128 caracteres.' : 'La contraseña debe tener al menos 8 caracteres.';
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
    /** s: Retry-After, in seconds (past a minute said in minutes). */
    rate_limited: (s) => {
      const n = Number(s);
      let wait = 'unos segundos';
      if (Number.isInteger(n) && n > 0 && n < 60) wait = n === 1 ? '1 segundo' : `${n} segundos`;
      else if (Number.isInteger(n) && n >= 60) wait = Math.ceil(n / 60) === 1 ? '1 minuto' : `${Math.ceil(n / 60)} minutos`;
      return `Demasiadas solicitudes. Esperá ${wait} y probá de nuevo.`;
    },
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
  // price(amount, currency, unit) formats a price (format.js's formatPrice,
  // passed in: format.js reads this module).
  notificationText: (n, price = (p) => String(p)) => {
    const d = n.data ?? {};
    const title = d.ad?.title ?? d.title ?? '';
    switch (n.type) {
      case 'saved_search_match':
        return d.count > 1
          ? `${d.count} avisos nuevos para tu búsqueda “${d.name}”`
          : `Un aviso nuevo para tu búsqueda “${d.name}”${d.ads?.[0] ? `: ${d.ads[0].title}` : ''}`;
      case 'price_drop': {
        const p = (amount) => price(amount, d.ad?.currency, d.ad?.price_unit);
        const change = d.old_price != null && d.new_price != null ? `, de ${p(d.old_price)} a ${p(d.new_price)}` : '';
        return `Bajó de precio un aviso de tus favoritos: ${title}${change}`;
      }
      case 'ad_expiring':
        return `Tu aviso “${title}” vence pronto`;
      case 'ad_expired':
        return `Tu aviso “${title}” venció. Podés renovarlo desde Mis avisos.`;
      case 'ad_moderated': {
        const what =
          {
            pause: `Un moderador pausó tu aviso “${title}”: no aparece en las búsquedas hasta que lo corrijas y lo reactives desde Mis avisos.`,
            delete: `Un moderador eliminó tu aviso “${title}”.`,
            dismiss: `Un moderador revisó tu aviso “${title}” y sigue publicado.`,
          }[d.action] ?? `Un moderador revisó tu aviso “${title}”.`;
        return d.note ? `${what} Nota: ${d.note}` : what;
      }
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
// ---- Selling: publish and edit, photos, my ads, favorites, report ----------
// (web-sell; screens/sell.js, photos.js, mine.js, ad-actions.js)

export const ts = {
  publish: 'Publicar',
  myAds: 'Mis avisos',
  favorites: 'Favoritos',
  titlePublish: 'Publicar aviso — Rural24',
  titleEdit: 'Editar aviso — Rural24',
  titleMyAds: 'Mis avisos — Rural24',
  titleFavorites: 'Favoritos — Rural24',
  publishHeading: 'Publicar aviso',
  editHeading: 'Editar aviso',
  needLogin: 'Ingresá a tu cuenta para seguir.',
  loginToContinue: 'Ingresar',

  category: 'Categoría',
  chooseCategory: 'Elegí una categoría',
  features: 'Características',
  choose: 'Elegí una opción',
  yes: 'Sí',
  no: 'No',
  title: 'Título',
  titleHint: 'Entre 5 y 120 caracteres. Ej.: Tractor John Deere 6110J 2015.',
  description: 'Descripción (opcional)',
  price: 'Precio',
  priceHint: 'Solo números. Ej.: 25000',
  consultPrice: 'Precio a consultar',
  currency: 'Moneda',
  currencies: { ARS: 'Pesos ($)', USD: 'Dólares (USD)' },
  priceUnit: 'El precio es',
  priceUnits: {
    total: 'Precio total',
    per_head: 'Por cabeza',
    per_kg: 'Por kg',
    per_ha: 'Por hectárea',
    per_month: 'Por mes',
    per_ton: 'Por tonelada',
  },
  province: 'Provincia',
  chooseProvince: 'Elegí la provincia',
  locality: 'Localidad (opcional)',
  submitPublish: 'Publicar aviso',
  submitEdit: 'Guardar cambios',
  sending: 'Enviando…',
  saved: 'Guardamos los cambios.',
  published: '¡Listo! Tu aviso está publicado. Ahora sumale fotos.',
  viewAd: 'Ver el aviso',
  notYours: 'Solo quien publicó el aviso puede cambiarlo.',
  sessionEnded: 'Tu sesión se cerró.',
  loginAgain: 'Ingresá de nuevo',
  draftKept: ': lo que escribiste queda guardado y te espera acá.',
  draftRestored: 'Recuperamos lo que habías escrito.',

  /** The API's field errors (API.md error.fields) for an ad's fields. */
  adFieldError: (field, code, attr) => {
    if (code === 'required') {
      return (
        { title: 'Escribí un título.', category_id: 'Elegí una categoría.', province: 'Elegí una provincia.', currency: 'Elegí la moneda del precio.' }[field] ??
        'Completá este dato.'
      );
    }
    if (field === 'title') return code === 'max_length' ? 'El título puede tener hasta 120 caracteres.' : 'El título debe tener al menos 5 caracteres.';
    if (field === 'description') return 'La descripción puede tener hasta 5000 caracteres.';
    if (field === 'locality') return 'La localidad puede tener hasta 100 caracteres.';
    if (field === 'price') {
      if (code === 'decimals') return 'El precio puede tener hasta 2 decimales.';
      if (code === 'min') return 'El precio no puede ser negativo.';
      return 'Ingresá el precio en números, sin puntos ni signos.';
    }
    if (code === 'unknown') return 'Este dato no corresponde a la categoría elegida.';
    if (attr) {
      if (attr.type === 'number') return 'Ingresá un número.';
      if (attr.type === 'bool') return 'Elegí Sí o No.';
      if (attr.type === 'enum') return 'Elegí una opción de la lista.';
      return 'Puede tener hasta 200 caracteres.';
    }
    if (code === 'invalid' || code === 'not_found') return 'Elegí una opción de la lista.';
    return 'Revisá este dato.';
  },

  photos: 'Fotos',
  addPhotos: 'Agregar fotos',
  photosHint: 'Hasta 10 fotos. Las achicamos en tu teléfono antes de subirlas, así usan pocos datos.',
  removePhoto: 'Quitar foto',
  photoOf: (title, n) => `Foto ${n} de ${title}`,
  photoProgress: (name) => `Subida de ${name}`,
  photoShrinking: 'Preparando…',
  photoUploading: (pct) => `Subiendo… ${pct} %`,
  photoDone: 'Subida',
  photoRemoved: 'Quitamos la foto.',
  photoErrors: {
    unreadable: 'No pudimos leer esta foto. Probá con una JPG o PNG.',
    413: 'La foto pesa demasiado (el máximo es 5 MB).',
    415: 'Ese formato no se puede subir. Usá JPG, PNG o WebP.',
    409: 'El aviso ya tiene 10 fotos, el máximo.',
    400: 'No pudimos procesar esta foto (puede estar dañada o ser demasiado grande).',
  },

  status: { active: 'Publicado', paused: 'Pausado', sold: 'Vendido', expired: 'Vencido', deleted: 'Eliminado' },
  noAds: 'Todavía no publicaste avisos.',
  publishFirst: 'Publicá tu primer aviso',
  edit: 'Editar',
  pause: 'Pausar',
  markSold: 'Marcar vendido',
  reactivate: 'Reactivar',
  renew: 'Renovar',
  remove: 'Eliminar',
  confirmRemove: (title) => `¿Eliminar “${title}”? No se puede deshacer.`,
  confirmYes: 'Sí, eliminar',
  cancel: 'Cancelar',
  actionsFor: (title) => `Acciones para ${title}`,
  changed: {
    active: 'El aviso está publicado.',
    paused: 'El aviso está pausado: no aparece en las búsquedas.',
    sold: 'Marcaste el aviso como vendido.',
    deleted: 'Eliminaste el aviso.',
  },

  favorite: 'Guardar en favoritos',
  favorited: 'Guardado en favoritos',
  favoriteAdded: 'Guardamos el aviso en tus favoritos.',
  favoriteRemoved: 'Quitamos el aviso de tus favoritos.',
  editYourAd: 'Editar tu aviso',

  report: 'Denunciar aviso',
  reportReason: 'Motivo',
  reportReasons: {
    spam: 'Spam o aviso repetido',
    fraud: 'Fraude o estafa',
    wrong_category: 'Categoría equivocada',
    offensive: 'Contenido ofensivo',
    other: 'Otro motivo',
  },
  reportDetails: 'Detalles (opcional)',
  reportSend: 'Enviar denuncia',
  reportThanks: 'Gracias. Recibimos tu denuncia y la vamos a revisar.',
  reportRepeat: 'Ya denunciaste este aviso. Lo estamos revisando.',
  reportOwn: 'No podés denunciar tu propio aviso.',
};

// ---- Mi cuenta y moderación (branch web-admin; screens/profile.js, screens/admin.js) ----
export const ta = {
  myAccount: 'Mi cuenta',
  titleAccount: 'Mi cuenta — Rural24',
  profile: 'Tus datos',
  phone: 'Teléfono',
  province: 'Provincia',
  noProvince: 'Sin provincia',
  save: 'Guardar cambios',
  saved: 'Guardamos tus datos.',
  sessions: 'Sesiones abiertas',
  sessionsHint: 'Los dispositivos donde ingresaste a tu cuenta. Si no reconocés alguno, cerrá esa sesión.',
  unknownDevice: 'Dispositivo desconocido',
  thisDevice: 'Este dispositivo',
  lastUsed: (when) => `Último uso: ${when}`,
  closeSession: 'Cerrar',
  closeSessionOf: (what) => `Cerrar la sesión de ${what}`,
  sessionClosed: 'Cerramos esa sesión.',
  logoutAll: 'Cerrar todas las sesiones',
  logoutAllHint: 'Sale de tu cuenta en todos los dispositivos, este incluido.',
  loggedOutAll: 'Cerramos todas tus sesiones. Ingresá de nuevo.',
  passwordTitle: 'Contraseña',
  currentPassword: 'Contraseña actual',
  newPassword: 'Contraseña nueva',
  newPasswordHint: 'Al menos 8 caracteres. Al cambiarla se cierran tus sesiones en los demás dispositivos.',
  changePassword: 'Cambiar contraseña',
  passwordChanged: 'Cambiamos tu contraseña. Cerramos tus sesiones en los demás dispositivos.',
  passwordConflict: 'Tu contraseña cambió recién desde otro dispositivo. Ingresá de nuevo con la nueva.',
  passwordMaybeChanged: 'El servicio no respondió del todo: puede que la contraseña nueva ya valga. Si “Contraseña actual” no acepta la anterior, usá la nueva; si algo no cierra, cerrá todas las sesiones.',
  sessionsUnsupported: 'En este servidor las sesiones no se pueden ver ni cerrar una por una: para salir, usá “Salir” en cada dispositivo. Cada sesión vence sola al rato.',

  reports: 'Denuncias',
  titleReports: 'Denuncias — Rural24',
  notAuthorized: 'No estás autorizado para ver esta página. Es solo para quienes moderan Rural24.',
  tabs: 'Estado de las denuncias',
  open: 'Pendientes',
  resolved: 'Resueltas',
  emptyOpen: 'No hay denuncias pendientes.',
  emptyResolved: 'Todavía no hay denuncias resueltas.',
  reportCount: (n) => (n === 1 ? '1 denuncia' : `${n} denuncias`),
  underReview: 'Oculto en revisión',
  reportBy: (name) => `Denunció: ${name}`,
  noDetails: 'Sin detalles.',
  note: 'Nota para quien publicó (opcional)',
  noteHint: 'Le llega en la notificación de la decisión.',
  actionsFor: (title) => `Decisión sobre ${title}`,
  actions: { dismiss: 'Descartar', pause: 'Pausar', delete: 'Eliminar' },
  done: {
    dismiss: (title) => `Descartaste las denuncias de “${title}”: el aviso vuelve a estar publicado.`,
    pause: (title) => `Pausaste “${title}”: su dueño puede corregirlo y reactivarlo.`,
    delete: (title) => `Eliminaste “${title}”.`,
  },
};

// ---- Search filters and the ad page's gallery (branch web-filters) ---------

export const tf = {
  filters: 'Filtros',
  filtersLabel: 'Filtros de búsqueda',
  category: 'Categoría',
  anyCategory: 'Todas las categorías',
  province: 'Provincia',
  anyProvince: 'Todas las provincias',
  minPrice: 'Precio desde',
  maxPrice: 'Precio hasta',
  priceCurrency: 'Precio en',
  currency: 'Moneda del aviso',
  anyCurrency: 'Cualquier moneda',
  priceUnit: 'Precio por',
  anyUnit: 'Cualquiera',
  sort: 'Ordenar por',
  sorts: { recent: 'Más recientes', price_asc: 'Menor precio', price_desc: 'Mayor precio' },
  features: 'Características',
  from: (label) => `${label} desde`,
  to: (label) => `${label} hasta`,
  any: 'Indistinto',
  anyOption: 'Cualquiera',
  yes: 'Sí',
  no: 'No',
  apply: 'Aplicar filtros',
  notANumber: 'Ingresá un número.',
  clear: 'Limpiar filtros',
  activeFilters: (n) => (n === 1 ? '1 filtro activo' : `${n} filtros activos`),
  photos: 'Fotos',
  viewPhoto: (i, n) => `Ver foto ${i} de ${n}`,
  photoOf: (i, n) => `Foto ${i} de ${n}`,
  closePhoto: 'Cerrar foto',
  prevPhoto: 'Foto anterior',
  nextPhoto: 'Foto siguiente',
  attributes: 'Características',
};

// ---- The ad page for its owner and admins, a refused search, the header's
// menu and messages badge, swiping photos (branch webgaps) -----------------

export const tg = {
  ownerNote: {
    paused: 'Este aviso está pausado: no aparece en las búsquedas y solo vos lo ves.',
    sold: 'Este aviso está vendido: ya no aparece en las búsquedas.',
    expired: 'Este aviso venció: ya no aparece en las búsquedas. Renovalo para publicarlo de nuevo.',
  },
  ownerUnderReview: 'Este aviso está oculto mientras revisamos denuncias. Podés editarlo; vuelve a las búsquedas cuando lo revise un moderador.',
  adminNote: (status) => `Este aviso no está publicado (${status}). Lo ves porque moderás Rural24.`,
  adminUnderReview: 'Oculto en revisión por denuncias. Lo ves porque moderás Rural24.',
  toReports: 'Ir a Denuncias',

  badSearch: 'No pudimos entender esta búsqueda.',
  badSearchParam: (label) => `Revisá el filtro “${label}”: su valor no sirve para buscar.`,
  badSearchHint: 'Puede pasar con un enlace modificado o viejo.',
  badCursor: 'No pudimos seguir con la lista: la búsqueda cambió mientras la mirabas.',
  searchAgain: 'Volver a buscar',
  textSearch: 'Buscar',
  yourAdActions: 'Acciones para tu aviso',

  menu: 'Menú',
  menuUnread: (n) => (n === 1 ? '1 novedad sin leer' : `${n} novedades sin leer`),
};

// ---- Favoritos, Mis avisos por estado, editar un aviso ajeno, salir con
// fotos subiendo, el botón de mensaje del dueño (branch polish) --------------

export const tp = {
  unfavorite: 'Quitar de favoritos',
  unfavorited: (title) => `Quitamos “${title}” de tus favoritos.`,
  noFavorites: 'Aún no guardaste avisos. En un aviso, tocá “Guardar en favoritos” para encontrarlo acá.',
  browseAds: 'Ver avisos',

  statusFilter: 'Filtrar por estado',
  statusAll: 'Todos',
  // ?estado= in the URL → the API's status.
  statusParam: { publicados: 'active', pausados: 'paused', vendidos: 'sold', vencidos: 'expired' },
  statusTabs: { publicados: 'Publicados', pausados: 'Pausados', vendidos: 'Vendidos', vencidos: 'Vencidos' },
  noAdsIn: {
    active: 'No tenés avisos publicados.',
    paused: 'No tenés avisos pausados.',
    sold: 'No tenés avisos vendidos.',
    expired: 'No tenés avisos vencidos.',
  },
  titleMyAdsIn: (tab) => `Mis avisos: ${tab} — Rural24`,

  notYourAd: 'Este aviso no es tuyo: solo quien lo publicó puede editarlo.',
  adMissing: 'Este aviso no existe o fue eliminado.',
  toMyAds: 'Ir a Mis avisos',

  leaveTitle: 'Todavía se están subiendo fotos',
  leaveText: (n) => (n === 1 ? 'Si salís ahora, se cancela la foto que falta subir.' : `Si salís ahora, se cancelan las ${n} fotos que faltan subir.`),
  stay: 'Quedarme',
  leave: 'Salir igual',
};
