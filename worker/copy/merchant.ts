import type { Language } from "./languages";

// The words of the emails to the merchant (an interrupted order, a code pool running low), in the
// merchant's language: the site's `merchantLanguage`, else its shoppers' most common one
// (mail/merchant.ts). Shorter and plainer than the shoppers' copy: a note between colleagues.

export interface MerchantCopy {
  /** `{{shop}}`, `{{shopper}}`, `{{total}}` */
  noticeSubject: string;
  /** `{{shopper}}`, `{{shop}}` */
  noticeBody: string;
  /** `{{shopper}}`, `{{shop}}`, `{{reason}}` (the stall's code, e.g. "card declined") */
  noticeBodyReason: string;
  total: string;
  /** `{{shop}}`, `{{available}}` */
  poolLowSubject: string;
  /** `{{shop}}`, `{{available}}` */
  poolLowBody: string;
}

const en: MerchantCopy = {
  noticeSubject: "Interrupted order at {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} left an order at {{shop}}.",
  noticeBodyReason: "{{shopper}} left an order at {{shop}} (reason: {{reason}}).",
  total: "Total",
  poolLowSubject: "{{shop}}: {{available}} incentive codes left",
  poolLowBody:
    "{{available}} single-use incentive codes are left in {{shop}}'s pool. Upload more in the dashboard or with POST /v1/sites/KEY/codes; when none are left, messages use the fallback the settings name (whenPoolEmpty).",
};

const es: MerchantCopy = {
  noticeSubject: "Pedido interrumpido en {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} ha dejado un pedido a medias en {{shop}}.",
  noticeBodyReason: "{{shopper}} ha dejado un pedido a medias en {{shop}} (motivo: {{reason}}).",
  total: "Total",
  poolLowSubject: "{{shop}}: quedan {{available}} códigos de descuento",
  poolLowBody:
    "Quedan {{available}} códigos de descuento de un solo uso en la reserva de {{shop}}. Sube más desde el panel o con POST /v1/sites/KEY/codes; cuando se acaben, los mensajes usarán la alternativa que indiquen los ajustes (whenPoolEmpty).",
};

const es419: MerchantCopy = {
  noticeSubject: "Pedido interrumpido en {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} dejó un pedido sin terminar en {{shop}}.",
  noticeBodyReason: "{{shopper}} dejó un pedido sin terminar en {{shop}} (motivo: {{reason}}).",
  total: "Total",
  poolLowSubject: "{{shop}}: quedan {{available}} códigos de descuento",
  poolLowBody:
    "Quedan {{available}} códigos de descuento de un solo uso en la reserva de {{shop}}. Sube más desde el panel o con POST /v1/sites/KEY/codes; cuando se terminen, los mensajes usarán la alternativa que indique la configuración (whenPoolEmpty).",
};

const fr: MerchantCopy = {
  noticeSubject: "Commande interrompue sur {{shop}} : {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} a laissé une commande en suspens sur {{shop}}.",
  noticeBodyReason: "{{shopper}} a laissé une commande en suspens sur {{shop}} (motif : {{reason}}).",
  total: "Total",
  poolLowSubject: "{{shop}} : plus que {{available}} codes de réduction",
  poolLowBody:
    "Il ne reste que {{available}} codes de réduction à usage unique dans la réserve de {{shop}}. Ajoutez-en depuis le tableau de bord ou avec POST /v1/sites/KEY/codes ; une fois épuisés, les messages utilisent la solution de repli des réglages (whenPoolEmpty).",
};

const de: MerchantCopy = {
  noticeSubject: "Abgebrochene Bestellung bei {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} hat eine Bestellung bei {{shop}} nicht abgeschlossen.",
  noticeBodyReason: "{{shopper}} hat eine Bestellung bei {{shop}} nicht abgeschlossen (Grund: {{reason}}).",
  total: "Gesamt",
  poolLowSubject: "{{shop}}: noch {{available}} Rabattcodes",
  poolLowBody:
    "Im Code-Vorrat von {{shop}} sind noch {{available}} Einmal-Rabattcodes. Lade im Dashboard oder mit POST /v1/sites/KEY/codes neue hoch; sind keine mehr da, nutzen die Nachrichten die Ersatzregel aus den Einstellungen (whenPoolEmpty).",
};

const it: MerchantCopy = {
  noticeSubject: "Ordine interrotto su {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} ha lasciato un ordine a metà su {{shop}}.",
  noticeBodyReason: "{{shopper}} ha lasciato un ordine a metà su {{shop}} (motivo: {{reason}}).",
  total: "Totale",
  poolLowSubject: "{{shop}}: restano {{available}} codici sconto",
  poolLowBody:
    "Nella riserva di {{shop}} restano {{available}} codici sconto monouso. Caricane altri dalla dashboard o con POST /v1/sites/KEY/codes; quando finiscono, i messaggi usano l'alternativa indicata nelle impostazioni (whenPoolEmpty).",
};

const pt: MerchantCopy = {
  noticeSubject: "Compra interrompida em {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} deixou uma compra a meio em {{shop}}.",
  noticeBodyReason: "{{shopper}} deixou uma compra a meio em {{shop}} (motivo: {{reason}}).",
  total: "Total",
  poolLowSubject: "{{shop}}: restam {{available}} códigos de desconto",
  poolLowBody:
    "Restam {{available}} códigos de desconto de utilização única na reserva de {{shop}}. Carregue mais no painel ou com POST /v1/sites/KEY/codes; quando acabarem, as mensagens usam a alternativa definida nas definições (whenPoolEmpty).",
};

const nl: MerchantCopy = {
  noticeSubject: "Onderbroken bestelling bij {{shop}}: {{shopper}} ({{total}})",
  noticeBody: "{{shopper}} heeft een bestelling bij {{shop}} niet afgerond.",
  noticeBodyReason: "{{shopper}} heeft een bestelling bij {{shop}} niet afgerond (reden: {{reason}}).",
  total: "Totaal",
  poolLowSubject: "{{shop}}: nog {{available}} kortingscodes",
  poolLowBody:
    "Er zijn nog {{available}} eenmalige kortingscodes over in de voorraad van {{shop}}. Upload er meer via het dashboard of met POST /v1/sites/KEY/codes; als ze op zijn, gebruiken berichten de terugvaloptie uit de instellingen (whenPoolEmpty).",
};

/**
 * The merchant's emails' words in each language variant.
 *
 * @example
 * MERCHANT_COPY.es.noticeSubject; // "Pedido interrumpido en {{shop}}: {{shopper}} ({{total}})"
 */
export const MERCHANT_COPY: Record<Language, MerchantCopy> = { en, es, "es-419": es419, fr, de, it, pt, nl };
