import type { Copy } from "./types";

/**
 * The built-in copy in Italian (`BUILTIN_COPY.it`).
 *
 * @example
 * it.templates.reminder.cta; // "Vai al carrello"
 */
export const it: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, il pagamento non è andato a buon fine",
      heading: "Qualcosa è andato storto con il pagamento",
      body: "Il tuo ordine ti sta ancora aspettando. Il pagamento non è andato a buon fine, succede più spesso di quanto si pensi. Puoi riprovare o scegliere un altro metodo di pagamento: il carrello è salvato.",
      cta: "Riprova",
    },
    extra_costs: {
      subject: "{{name}}, il tuo carrello ti aspetta, con una sorpresa",
      heading: "Ci stai ancora pensando?",
      body: "Lo sappiamo, al momento del pagamento i costi possono lievitare. Il tuo carrello è salvato, ed ecco qualcosa per rendere tutto più semplice.",
      cta: "Completa l'ordine",
    },
    question: {
      subject: "{{name}}, hai qualche domanda prima di ordinare?",
      heading: "Qualche dubbio prima di ordinare?",
      body: "Se qualcosa non ti è chiaro (ordine, spedizione, resi), siamo qui per aiutarti. Il carrello resta salvato finché non sei pronto.",
      cta: "Torna al carrello",
    },
    reminder: {
      subject: "{{name}}, hai dimenticato qualcosa nel carrello",
      heading: "Il tuo carrello è salvato",
      body: "I prodotti che hai scelto ti stanno ancora aspettando. Riprendi da dove avevi lasciato.",
      cta: "Vai al carrello",
    },
  },
  reply: "Rispondi a questa email e ti risponderà una persona in carne e ossa.",
  quantity: "Qtà {{quantity}}",
  total: "Totale",
  offer: "{{description}} Usa il codice {{code}} al momento del pagamento.",
  offerValid: "Valido per {{duration}}, fino al {{until}}.",
  chat: "Scrivici in chat",
  chatOr: "oppure rispondi a questa email.",
  footer: "Ricevi questa email perché hai iniziato un ordine su {{shop}}.",
  unsubscribe: "Annulla l'iscrizione",
  unsubscribeAfter: " a questi promemoria.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Pagamento non riuscito? Il carrello ti aspetta:",
    extra_costs: "Il carrello ti aspetta, con una sorpresa:",
    question: "Qualche dubbio? Il carrello ti aspetta qui:",
    reminder: "Il tuo carrello ti aspetta. Riprendi da qui:",
  },
  smsStop: "Rispondi STOP per disiscriverti.",
  smsCode: "Codice {{code}}.",
  theShop: "il negozio",
  expiredTitle: "Link scaduto",
  expiredHeading: "Questo link è scaduto",
  expiredBody: "I carrelli vengono conservati per {{duration}}. Visita il negozio per ricominciare.",
  orderedTitle: "Ordine già effettuato",
  orderedHeading: "Hai già effettuato questo ordine",
  orderedBody: "Grazie! Il tuo ordine su {{shop}} è andato a buon fine, quindi non c'è niente da ripristinare.",
  waitingTitle: "Il tuo carrello",
  waitingHeading: "Il tuo carrello ti aspetta",
  waitingButton: "Apri il carrello",
  unsubscribeTitle: "Annulla iscrizione",
  unsubscribeHeading: "Vuoi annullare l'iscrizione?",
  unsubscribeBody: "{{email}} non riceverà più promemoria sul carrello da {{shop}}.",
  unsubscribeButton: "Annulla l'iscrizione",
  unsubscribedTitle: "Iscrizione annullata",
  unsubscribedHeading: "Iscrizione annullata",
  unsubscribedBody: "{{email}} non riceverà più promemoria sul carrello.",
  unknownTitle: "Link sconosciuto",
  unknownHeading: "Questo link non è valido",
};
