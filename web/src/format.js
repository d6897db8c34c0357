// Prices and places as people in Argentina read them.
import { t } from './strings.js';

const formatters = new Map();

function currencyFormat(currency, decimals) {
  const key = `${currency}:${decimals}`;
  if (!formatters.has(key)) {
    formatters.set(
      key,
      new Intl.NumberFormat('es-AR', {
        style: 'currency',
        currency,
        currencyDisplay: currency === 'USD' ? 'code' : 'symbol',
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
      }),
    );
  }
  return formatters.get(key);
}

/** "$ 25.000", "USD 1.500,50 por ha", or "Consultar" when there is no price. */
export function formatPrice(price, currency, unit) {
  if (price === null || price === undefined) return t.consult;
  const decimals = Number.isInteger(price) ? 0 : 2;
  const text = currencyFormat(currency === 'USD' ? 'USD' : 'ARS', decimals).format(price);
  const suffix = t.priceUnit[unit] || '';
  return suffix ? `${text} ${suffix}` : text;
}

/** "Pergamino, Buenos Aires" or just the province. */
export function formatPlace(ad) {
  return [ad.locality, ad.province].filter(Boolean).join(', ');
}
