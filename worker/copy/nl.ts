import type { Copy } from "./types";

/**
 * The built-in copy in Dutch (`BUILTIN_COPY.nl`).
 *
 * @example
 * nl.templates.reminder.cta; // "Naar mijn winkelwagen"
 */
export const nl: Copy = {
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
      body: "Was er iets niet duidelijk over je bestelling, de bezorging of het retourneren? We helpen je graag. Je winkelwagen blijft bewaard tot je zover bent.",
      cta: "Terug naar mijn winkelwagen",
    },
    reminder: {
      subject: "{{name}}, er ligt nog iets in je winkelwagen",
      heading: "Je winkelwagen is bewaard",
      body: "De artikelen die je koos liggen nog voor je klaar. Ga verder waar je gebleven was.",
      cta: "Naar mijn winkelwagen",
    },
  },
  reply: "Beantwoord deze e-mail en een echte medewerker helpt je verder.",
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
