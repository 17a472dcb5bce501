// The words of every message and page a shopper sees, in each language the collector writes in
// without a merchant writing a line. Each language is written as a shop in that country writes to
// its customers (the register and idiom they expect: tú in Spanish, vous in French, du in German,
// tu in Italian, je in Dutch; the Portuguese avoids você/tu so it reads right in Brazil and in
// Portugal), not translated word for word from the English. Placeholders in `{{…}}` are filled
// in by the mail and page code; everything filled in is escaped where it is shown.

/**
 * The languages with built-in copy, as BCP 47 primary language subtags.
 *
 * @example
 * LANGUAGES.includes("es"); // true
 */
export const LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "nl"] as const;
export type Language = (typeof LANGUAGES)[number];

/** The reasons a message speaks to (sites/settings.ts REASONS, repeated here so this folder imports nothing). */
export type CopyReason = "payment_failed" | "extra_costs" | "question" | "reminder";

/** One reason's email: `{{name}}` is the shopper's first name, `{{shop}}` the shop's, `{{code}}` the incentive's code. */
export interface TemplateCopy {
  subject: string;
  heading: string;
  body: string;
  cta: string;
}

/** Everything around a template, in emails, texts and link pages. */
export interface Copy {
  templates: Record<CopyReason, TemplateCopy>;
  /** `{{quantity}}` */
  quantity: string;
  total: string;
  /** `{{description}}` (the merchant's, in the site's words), `{{code}}` */
  offer: string;
  /** `{{duration}}` (e.g. "48 hours", written by Intl in the language), `{{until}}` (a date and time) */
  offerValid: string;
  chat: string;
  /** After the chat link. */
  chatOr: string;
  /** `{{shop}}` */
  footer: string;
  /** The unsubscribe link's words, and what follows the link (may be empty). */
  unsubscribe: string;
  unsubscribeAfter: string;
  /** A text message around its sentence: `{{shop}}`, `{{text}}` (the reason's, below, or the
   * merchant's), `{{link}}`, `{{code}}` (the code sentence below with a space before it, or
   * nothing) and `{{stop}}` (the opt-out sentence below). Texts are short: GSM-7 letters where a
   * native speaker would not miss an accent, so one text stays one segment where it can. */
  sms: string;
  /** A text's sentence for each reason; the link follows it. */
  smsText: Record<CopyReason, string>;
  /** The opt-out words carriers and the law expect at the end of a marketing text. */
  smsStop: string;
  /** A code in a text: `{{code}}` */
  smsCode: string;
  /** Where no shop name is known. */
  theShop: string;
  expiredTitle: string;
  expiredHeading: string;
  /** `{{duration}}` (e.g. "7 days") */
  expiredBody: string;
  orderedTitle: string;
  orderedHeading: string;
  /** `{{shop}}` */
  orderedBody: string;
  waitingTitle: string;
  waitingHeading: string;
  waitingButton: string;
  unsubscribeTitle: string;
  unsubscribeHeading: string;
  /** `{{email}}`, `{{shop}}` */
  unsubscribeBody: string;
  unsubscribeButton: string;
  unsubscribedTitle: string;
  unsubscribedHeading: string;
  /** `{{email}}` */
  unsubscribedBody: string;
  unknownTitle: string;
  unknownHeading: string;
}

const en: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, your payment didn't go through",
      heading: "Something went wrong with your payment",
      body: "Your order is still waiting for you. The payment didn't go through, which happens more often than you'd think. You can try again, or choose another payment method: your cart is saved.",
      cta: "Try again",
    },
    extra_costs: {
      subject: "{{name}}, your cart is waiting, with something extra",
      heading: "Still thinking it over?",
      body: "We know costs can add up at checkout. Your cart is saved, and here is something to make it easier.",
      cta: "Complete my order",
    },
    question: {
      subject: "{{name}}, any questions before you order?",
      heading: "Any questions before you order?",
      body: "If something wasn't clear (ingredients, delivery, returns), just reply to this email and a real person will answer. Your cart is saved until you're ready.",
      cta: "Back to my cart",
    },
    reminder: {
      subject: "{{name}}, you left something in your cart",
      heading: "Your cart is saved",
      body: "The things you picked are still waiting for you. Pick up right where you left off.",
      cta: "Return to my cart",
    },
  },
  quantity: "Qty {{quantity}}",
  total: "Total",
  offer: "{{description}} Use code {{code}} at checkout.",
  offerValid: "Valid for {{duration}}, until {{until}}.",
  chat: "Chat with us",
  chatOr: "or reply to this email.",
  footer: "You are receiving this because you started an order at {{shop}}.",
  unsubscribe: "Unsubscribe",
  unsubscribeAfter: " from these reminders.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Your payment didn't go through. Your cart is saved:",
    extra_costs: "Your cart is saved, with a little extra:",
    question: "Questions? We're happy to help. Your cart is saved:",
    reminder: "Your cart is saved. Pick up where you left off:",
  },
  smsStop: "Reply STOP to opt out.",
  smsCode: "Code {{code}}.",
  theShop: "the shop",
  expiredTitle: "Link expired",
  expiredHeading: "This link has expired",
  expiredBody: "Carts are kept for {{duration}}. Visit the shop to start again.",
  orderedTitle: "Already ordered",
  orderedHeading: "You already ordered this",
  orderedBody: "Thank you! Your order at {{shop}} went through, so there is nothing to restore.",
  waitingTitle: "Your cart",
  waitingHeading: "Your cart is waiting",
  waitingButton: "Open my cart",
  unsubscribeTitle: "Unsubscribe",
  unsubscribeHeading: "Unsubscribe?",
  unsubscribeBody: "{{email}} will get no more cart reminders from {{shop}}.",
  unsubscribeButton: "Unsubscribe",
  unsubscribedTitle: "Unsubscribed",
  unsubscribedHeading: "You are unsubscribed",
  unsubscribedBody: "{{email}} will get no more cart reminders.",
  unknownTitle: "Unknown link",
  unknownHeading: "This link is not valid",
};

const es: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, no hemos podido cobrar tu pedido",
      heading: "Hubo un problema con el pago",
      body: "Tu pedido sigue esperándote. El pago no se ha completado, algo que pasa más a menudo de lo que parece. Puedes volver a intentarlo o elegir otro método de pago: tu carrito está guardado.",
      cta: "Intentarlo de nuevo",
    },
    extra_costs: {
      subject: "{{name}}, tu carrito te espera (y con sorpresa)",
      heading: "¿Todavía te lo estás pensando?",
      body: "Sabemos que los gastos de envío pueden echar para atrás. Tu carrito sigue guardado y aquí tienes algo para ponértelo más fácil.",
      cta: "Terminar mi pedido",
    },
    question: {
      subject: "{{name}}, ¿te ha quedado alguna duda?",
      heading: "¿Alguna duda antes de hacer tu pedido?",
      body: "Si algo no te quedó claro (ingredientes, envío, devoluciones), responde a este correo y te contestará una persona de verdad. Tu carrito te espera hasta que lo tengas claro.",
      cta: "Volver a mi carrito",
    },
    reminder: {
      subject: "{{name}}, te has dejado algo en el carrito",
      heading: "Tu carrito está guardado",
      body: "Lo que elegiste sigue esperándote. Retoma tu compra justo donde la dejaste.",
      cta: "Ir a mi carrito",
    },
  },
  quantity: "Cant. {{quantity}}",
  total: "Total",
  offer: "{{description}} Usa el código {{code}} al finalizar la compra.",
  offerValid: "Válido durante {{duration}}, hasta el {{until}}.",
  chat: "Habla con nosotros",
  chatOr: "o responde a este correo.",
  footer: "Recibes este correo porque empezaste un pedido en {{shop}}.",
  unsubscribe: "Darte de baja",
  unsubscribeAfter: " de estos recordatorios.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "No pudimos cobrar tu pedido. Tu carrito te espera:",
    extra_costs: "Tu carrito te espera, con algo especial:",
    question: "¿Alguna duda? Te ayudamos. Tu carrito te espera:",
    reminder: "Tu carrito sigue guardado. Retoma tu compra:",
  },
  smsStop: "Responde STOP para darte de baja.",
  smsCode: "Descuento: {{code}}.",
  theShop: "la tienda",
  expiredTitle: "Enlace caducado",
  expiredHeading: "Este enlace ha caducado",
  expiredBody: "Guardamos los carritos durante {{duration}}. Entra en la tienda para empezar de nuevo.",
  orderedTitle: "Pedido ya realizado",
  orderedHeading: "Ya hiciste este pedido",
  orderedBody: "¡Gracias! Tu pedido en {{shop}} se completó, así que no hay nada que recuperar.",
  waitingTitle: "Tu carrito",
  waitingHeading: "Tu carrito te está esperando",
  waitingButton: "Abrir mi carrito",
  unsubscribeTitle: "Darse de baja",
  unsubscribeHeading: "¿Quieres darte de baja?",
  unsubscribeBody: "{{email}} dejará de recibir recordatorios de carrito de {{shop}}.",
  unsubscribeButton: "Darme de baja",
  unsubscribedTitle: "Baja confirmada",
  unsubscribedHeading: "Te has dado de baja",
  unsubscribedBody: "{{email}} ya no recibirá más recordatorios de carrito.",
  unknownTitle: "Enlace no válido",
  unknownHeading: "Este enlace no es válido",
};

const fr: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, votre paiement n'a pas abouti",
      heading: "Un souci avec votre paiement",
      body: "Votre commande vous attend toujours. Le paiement n'a pas abouti, ce qui arrive plus souvent qu'on ne le pense. Vous pouvez réessayer ou choisir un autre moyen de paiement : votre panier est bien conservé.",
      cta: "Réessayer",
    },
    extra_costs: {
      subject: "{{name}}, votre panier vous attend, avec une petite attention",
      heading: "Vous hésitez encore ?",
      body: "Nous savons que les frais peuvent vite grimper au moment de payer. Votre panier est conservé, et voici de quoi vous faciliter la décision.",
      cta: "Finaliser ma commande",
    },
    question: {
      subject: "{{name}}, une question avant de commander ?",
      heading: "Une question avant de commander ?",
      body: "Si un point n'était pas clair (composition, livraison, retours), répondez simplement à cet e-mail : une vraie personne vous répondra. Votre panier vous attend le temps qu'il faudra.",
      cta: "Retrouver mon panier",
    },
    reminder: {
      subject: "{{name}}, vous avez oublié quelque chose dans votre panier",
      heading: "Votre panier est sauvegardé",
      body: "Les articles que vous avez choisis vous attendent. Reprenez là où vous vous êtes arrêté.",
      cta: "Voir mon panier",
    },
  },
  quantity: "Qté {{quantity}}",
  total: "Total",
  offer: "{{description}} Utilisez le code {{code}} lors du paiement.",
  offerValid: "Valable {{duration}}, jusqu'au {{until}}.",
  chat: "Discuter avec nous",
  chatOr: "ou répondez à cet e-mail.",
  footer: "Vous recevez cet e-mail parce que vous avez commencé une commande sur {{shop}}.",
  unsubscribe: "Se désabonner",
  unsubscribeAfter: " de ces rappels.",
  sms: "{{shop}} : {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Le paiement n'a pas abouti. Réessayez ici :",
    extra_costs: "Votre panier vous attend, avec un petit plus :",
    question: "Une question ? Votre panier vous attend ici :",
    reminder: "Votre panier vous attend. Reprenez ici :",
  },
  smsStop: "Répondez STOP pour vous désabonner.",
  smsCode: "Code {{code}}.",
  theShop: "la boutique",
  expiredTitle: "Lien expiré",
  expiredHeading: "Ce lien a expiré",
  expiredBody: "Les paniers sont conservés {{duration}}. Rendez-vous sur la boutique pour recommencer.",
  orderedTitle: "Déjà commandé",
  orderedHeading: "Vous avez déjà passé cette commande",
  orderedBody: "Merci ! Votre commande sur {{shop}} a bien été validée : il n'y a rien à restaurer.",
  waitingTitle: "Votre panier",
  waitingHeading: "Votre panier vous attend",
  waitingButton: "Ouvrir mon panier",
  unsubscribeTitle: "Désabonnement",
  unsubscribeHeading: "Se désabonner ?",
  unsubscribeBody: "{{email}} ne recevra plus de rappels de panier de {{shop}}.",
  unsubscribeButton: "Me désabonner",
  unsubscribedTitle: "Désabonné",
  unsubscribedHeading: "Vous êtes désabonné",
  unsubscribedBody: "{{email}} ne recevra plus de rappels de panier.",
  unknownTitle: "Lien inconnu",
  unknownHeading: "Ce lien n'est pas valide",
};

const de: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, deine Zahlung hat leider nicht geklappt",
      heading: "Bei deiner Zahlung ist etwas schiefgelaufen",
      body: "Deine Bestellung wartet noch auf dich. Die Zahlung ist nicht durchgegangen, das passiert öfter, als man denkt. Versuch es einfach noch einmal oder wähl eine andere Zahlungsart: Dein Warenkorb ist gespeichert.",
      cta: "Noch einmal versuchen",
    },
    extra_costs: {
      subject: "{{name}}, dein Warenkorb wartet, mit einem kleinen Extra",
      heading: "Noch unentschlossen?",
      body: "Wir wissen, dass sich die Kosten an der Kasse schnell summieren. Dein Warenkorb ist gespeichert, und hier ist etwas, das dir die Entscheidung leichter macht.",
      cta: "Bestellung abschließen",
    },
    question: {
      subject: "{{name}}, noch Fragen vor deiner Bestellung?",
      heading: "Noch Fragen vor deiner Bestellung?",
      body: "Wenn etwas unklar geblieben ist (Inhaltsstoffe, Versand, Rückgabe), antworte einfach auf diese E-Mail, und ein echter Mensch meldet sich bei dir. Dein Warenkorb bleibt gespeichert, bis du so weit bist.",
      cta: "Zurück zum Warenkorb",
    },
    reminder: {
      subject: "{{name}}, in deinem Warenkorb liegt noch etwas",
      heading: "Dein Warenkorb ist gespeichert",
      body: "Deine ausgewählten Artikel warten noch auf dich. Mach einfach da weiter, wo du aufgehört hast.",
      cta: "Zum Warenkorb",
    },
  },
  quantity: "Menge {{quantity}}",
  total: "Gesamt",
  offer: "{{description}} Gib an der Kasse den Code {{code}} ein.",
  offerValid: "Gültig für {{duration}}, bis {{until}}.",
  chat: "Chatte mit uns",
  chatOr: "oder antworte auf diese E-Mail.",
  footer: "Du erhältst diese E-Mail, weil du eine Bestellung bei {{shop}} begonnen hast.",
  unsubscribe: "Von diesen Erinnerungen abmelden",
  unsubscribeAfter: ".",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Deine Zahlung hat nicht geklappt. Dein Warenkorb wartet:",
    extra_costs: "Dein Warenkorb wartet, mit einem kleinen Extra:",
    question: "Noch Fragen? Wir helfen dir gern. Dein Warenkorb wartet:",
    reminder: "Dein Warenkorb wartet auf dich. Hier geht's weiter:",
  },
  smsStop: "Antworte STOP zum Abmelden.",
  smsCode: "Code {{code}}.",
  theShop: "dem Shop",
  expiredTitle: "Link abgelaufen",
  expiredHeading: "Dieser Link ist abgelaufen",
  expiredBody: "Warenkörbe werden {{duration}} lang gespeichert. Besuch den Shop, um neu zu beginnen.",
  orderedTitle: "Bereits bestellt",
  orderedHeading: "Du hast das bereits bestellt",
  orderedBody: "Danke! Deine Bestellung bei {{shop}} ist eingegangen, es gibt also nichts wiederherzustellen.",
  waitingTitle: "Dein Warenkorb",
  waitingHeading: "Dein Warenkorb wartet auf dich",
  waitingButton: "Warenkorb öffnen",
  unsubscribeTitle: "Abmelden",
  unsubscribeHeading: "Abmelden?",
  unsubscribeBody: "{{email}} erhält dann keine Warenkorb-Erinnerungen mehr von {{shop}}.",
  unsubscribeButton: "Abmelden",
  unsubscribedTitle: "Abgemeldet",
  unsubscribedHeading: "Du bist abgemeldet",
  unsubscribedBody: "{{email}} erhält keine Warenkorb-Erinnerungen mehr.",
  unknownTitle: "Unbekannter Link",
  unknownHeading: "Dieser Link ist nicht gültig",
};

const it: Copy = {
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
      body: "Se qualcosa non ti è chiaro (ingredienti, spedizione, resi), rispondi a questa email e ti risponderà una persona in carne e ossa. Il carrello resta salvato finché non sei pronto.",
      cta: "Torna al carrello",
    },
    reminder: {
      subject: "{{name}}, hai dimenticato qualcosa nel carrello",
      heading: "Il tuo carrello è salvato",
      body: "I prodotti che hai scelto ti stanno ancora aspettando. Riprendi da dove avevi lasciato.",
      cta: "Vai al carrello",
    },
  },
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

const pt: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, o pagamento não foi concluído",
      heading: "Houve um problema com o pagamento",
      body: "A sua encomenda continua à espera. O pagamento não foi concluído, algo mais comum do que parece. Tente novamente ou escolha outra forma de pagamento: o carrinho está guardado.",
      cta: "Tentar novamente",
    },
    extra_costs: {
      subject: "{{name}}, o seu carrinho está à espera, com uma surpresa",
      heading: "Ainda a pensar?",
      body: "Sabemos que os custos podem pesar na hora de pagar. O carrinho está guardado e aqui fica uma ajuda para decidir.",
      cta: "Finalizar a compra",
    },
    question: {
      subject: "{{name}}, alguma dúvida antes de comprar?",
      heading: "Alguma dúvida antes de comprar?",
      body: "Se algo não ficou claro (ingredientes, entrega, devoluções), basta responder a este e-mail e uma pessoa da nossa equipa responde. O carrinho fica guardado até decidir.",
      cta: "Voltar ao carrinho",
    },
    reminder: {
      subject: "{{name}}, ficou algo no seu carrinho",
      heading: "O seu carrinho está guardado",
      body: "Os produtos que escolheu continuam à espera. Continue exatamente de onde parou.",
      cta: "Ver o carrinho",
    },
  },
  quantity: "Qtd. {{quantity}}",
  total: "Total",
  offer: "{{description}} Use o código {{code}} ao finalizar a compra.",
  offerValid: "Válido por {{duration}}, até {{until}}.",
  chat: "Fale connosco",
  chatOr: "ou responda a este e-mail.",
  footer: "Recebe este e-mail porque começou uma compra em {{shop}}.",
  unsubscribe: "Cancelar a subscrição",
  unsubscribeAfter: " destes lembretes.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "O pagamento falhou, mas o carrinho continua guardado:",
    extra_costs: "O carrinho continua guardado, e com uma surpresa:",
    question: "Ficou com alguma pergunta? Estamos aqui para ajudar:",
    reminder: "Deixou algo no carrinho. Continue de onde parou:",
  },
  smsStop: "Responda STOP para cancelar.",
  smsCode: "Desconto: {{code}}.",
  theShop: "a loja",
  expiredTitle: "Link expirado",
  expiredHeading: "Este link expirou",
  expiredBody: "Os carrinhos ficam guardados durante {{duration}}. Visite a loja para começar de novo.",
  orderedTitle: "Compra já feita",
  orderedHeading: "Já fez esta compra",
  orderedBody: "Obrigado! A sua compra em {{shop}} foi concluída, por isso não há nada para recuperar.",
  waitingTitle: "O seu carrinho",
  waitingHeading: "O seu carrinho está à espera",
  waitingButton: "Abrir o carrinho",
  unsubscribeTitle: "Cancelar subscrição",
  unsubscribeHeading: "Cancelar a subscrição?",
  unsubscribeBody: "{{email}} deixará de receber lembretes de carrinho de {{shop}}.",
  unsubscribeButton: "Cancelar subscrição",
  unsubscribedTitle: "Subscrição cancelada",
  unsubscribedHeading: "A subscrição foi cancelada",
  unsubscribedBody: "{{email}} não receberá mais lembretes de carrinho.",
  unknownTitle: "Link desconhecido",
  unknownHeading: "Este link não é válido",
};

const nl: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, je betaling is niet gelukt",
      heading: "Er ging iets mis met je betaling",
      body: "Je bestelling staat nog voor je klaar. De betaling is niet gelukt, en dat gebeurt vaker dan je denkt. Probeer het gerust opnieuw of kies een andere betaalmethode: je winkelwagen is bewaard.",
      cta: "Opnieuw proberen",
    },
    extra_costs: {
      subject: "{{name}}, je winkelwagen wacht op je, met iets extra's",
      heading: "Twijfel je nog?",
      body: "We weten dat de kosten bij het afrekenen kunnen tegenvallen. Je winkelwagen is bewaard, en hier is iets om de keuze makkelijker te maken.",
      cta: "Bestelling afronden",
    },
    question: {
      subject: "{{name}}, nog vragen voordat je bestelt?",
      heading: "Nog vragen voordat je bestelt?",
      body: "Was er iets niet duidelijk (ingrediënten, bezorging, retourneren)? Beantwoord deze e-mail en een echte medewerker helpt je verder. Je winkelwagen blijft bewaard tot je zover bent.",
      cta: "Terug naar mijn winkelwagen",
    },
    reminder: {
      subject: "{{name}}, er ligt nog iets in je winkelwagen",
      heading: "Je winkelwagen is bewaard",
      body: "De artikelen die je koos liggen nog voor je klaar. Ga verder waar je gebleven was.",
      cta: "Naar mijn winkelwagen",
    },
  },
  quantity: "Aantal {{quantity}}",
  total: "Totaal",
  offer: "{{description}} Gebruik code {{code}} bij het afrekenen.",
  offerValid: "Geldig voor {{duration}}, tot {{until}}.",
  chat: "Chat met ons",
  chatOr: "of beantwoord deze e-mail.",
  footer: "Je ontvangt deze e-mail omdat je een bestelling bent begonnen bij {{shop}}.",
  unsubscribe: "Afmelden",
  unsubscribeAfter: " voor deze herinneringen.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Betaling niet gelukt? Je winkelwagen staat klaar:",
    extra_costs: "Je winkelwagen staat klaar, met iets extra's:",
    question: "Nog vragen? Je winkelwagen staat voor je klaar:",
    reminder: "Je winkelwagen staat nog voor je klaar:",
  },
  smsStop: "Antwoord STOP om je af te melden.",
  smsCode: "Code {{code}}.",
  theShop: "de winkel",
  expiredTitle: "Link verlopen",
  expiredHeading: "Deze link is verlopen",
  expiredBody: "Winkelwagens worden {{duration}} bewaard. Ga naar de winkel om opnieuw te beginnen.",
  orderedTitle: "Al besteld",
  orderedHeading: "Je hebt dit al besteld",
  orderedBody: "Bedankt! Je bestelling bij {{shop}} is gelukt, er valt dus niets te herstellen.",
  waitingTitle: "Je winkelwagen",
  waitingHeading: "Je winkelwagen staat klaar",
  waitingButton: "Open mijn winkelwagen",
  unsubscribeTitle: "Afmelden",
  unsubscribeHeading: "Afmelden?",
  unsubscribeBody: "{{email}} ontvangt geen winkelwagenherinneringen meer van {{shop}}.",
  unsubscribeButton: "Afmelden",
  unsubscribedTitle: "Afgemeld",
  unsubscribedHeading: "Je bent afgemeld",
  unsubscribedBody: "{{email}} ontvangt geen winkelwagenherinneringen meer.",
  unknownTitle: "Onbekende link",
  unknownHeading: "Deze link is niet geldig",
};

/**
 * The built-in copy of each language. Typed as complete records, and checked key by key against
 * the English in copy.test.ts, so a language cannot lack a word.
 *
 * @example
 * BUILTIN_COPY.es.templates.reminder.subject; // "{{name}}, te has dejado algo en el carrito"
 */
export const BUILTIN_COPY: Record<Language, Copy> = { en, es, fr, de, it, pt, nl };

/**
 * Fills `{{key}}` placeholders, nothing else: for pages and texts, where the tidying of an email
 * subject (mail/render.ts `fill`) is not wanted. A name without a value is left empty.
 *
 * @example
 * fillCopy("{{email}} will get no more cart reminders.", { email: "ana@example.com" }); // "ana@example.com will get no more cart reminders."
 */
export const fillCopy = (template: string, vars: Record<string, string | undefined>): string =>
  template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => vars[key] ?? "");

/**
 * The language to write to a shopper in, from their browser's preferences (an Accept-Language
 * list, best first, or one tag) among those the site writes in; the site's default otherwise.
 * `locale` is the tag to format numbers and dates with: the shopper's own regional tag when its
 * language is the one chosen (`es-MX` formats Mexican style), else the language alone.
 *
 * @example
 * chooseLanguage("es-MX,es;q=0.9,en;q=0.8", ["en", "es"], "en"); // { language: "es", locale: "es-MX" }
 * chooseLanguage("ja-JP", ["en", "es"], "es"); // { language: "es", locale: "es" }
 * chooseLanguage(undefined, LANGUAGES, "fr"); // { language: "fr", locale: "fr" }
 */
export function chooseLanguage(
  preferences: string | undefined,
  languages: readonly Language[],
  fallback: Language,
): { language: Language; locale: string } {
  for (const tag of parsePreferences(preferences)) {
    const primary = tag.split("-")[0] as Language;
    if (primary === fallback || languages.includes(primary)) return { language: primary, locale: tag };
  }
  return { language: fallback, locale: fallback };
}

/**
 * An Accept-Language header (or one tag) as canonical BCP 47 tags, best first: at most 6, `*`
 * and anything `Intl` does not accept left out, q=0 left out. What goes into D1 and into
 * `Intl`, whatever a client sent.
 *
 * @example
 * parsePreferences("es-es;q=0.9, en;q=0.8, *;q=0.1, <b>"); // ["es-ES", "en"]
 */
export function parsePreferences(value: string | undefined): string[] {
  if (!value) return [];
  const ranked = value
    .slice(0, 512)
    .split(",")
    .map((part, i) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((p) => p.q > 0 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/.test(p.tag))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  const out: string[] = [];
  for (const { tag } of ranked) {
    try {
      const canonical = Intl.getCanonicalLocales(tag)[0];
      if (canonical && !out.includes(canonical)) out.push(canonical);
    } catch {
      // not a tag Intl knows: left out
    }
    if (out.length === 6) break;
  }
  return out;
}

/**
 * An IANA time zone `Intl` knows, or undefined: in `Intl`'s spelling when only the case differs,
 * else as given (ICU would turn Asia/Kolkata into its old name, Asia/Calcutta, which reads worse
 * on a dashboard and means the same).
 *
 * @example
 * validTimeZone("europe/madrid"); // "Europe/Madrid"
 * validTimeZone("Asia/Kolkata"); // "Asia/Kolkata"
 * validTimeZone("Mars/Olympus"); // undefined
 */
export function validTimeZone(value: string | undefined): string | undefined {
  if (!value || value.length > 64) return;
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
  } catch {
    return;
  }
}
