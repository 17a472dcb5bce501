import type { Copy } from "./types";

/**
 * The built-in copy in French (`BUILTIN_COPY.fr`).
 *
 * @example
 * fr.templates.reminder.cta; // "Voir mon panier"
 */
export const fr: Copy = {
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
      body: "Si un point n'était pas clair (commande, livraison, retours), nous sommes là pour vous aider. Votre panier vous attend le temps qu'il faudra.",
      cta: "Retrouver mon panier",
    },
    reminder: {
      subject: "{{name}}, vous avez oublié quelque chose dans votre panier",
      heading: "Votre panier est sauvegardé",
      body: "Les articles que vous avez choisis vous attendent. Reprenez là où vous vous êtes arrêté.",
      cta: "Voir mon panier",
    },
  },
  reply: "Répondez simplement à cet e-mail : une vraie personne vous répondra.",
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
