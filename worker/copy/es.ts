import type { Copy } from "./types";

// Two Spanishes, each kept whole: Spain's (`es`) says what just happened in the present perfect
// ("no hemos podido", "te has dejado", "¿te ha quedado…?"), gastos de envío and darse de baja;
// Latin America's (`es-419`) in the preterite ("no pudimos", "dejaste", "¿te quedó…?"), costos de
// envío and cancelar la suscripción. Both say tú, as shops do. A text message says the same
// thing in the same tense as its email. Argentina's and Uruguay's vos is not written: tú reads
// as a shop writing, there, and vos is a choice for the merchant's own copy.

/**
 * Spain's Spanish (`BUILTIN_COPY.es`): for es-ES, and for a bare `es` unless the site's own Spanish is Latin America's.
 *
 * @example
 * es.templates.question.subject; // "{{name}}, ¿te ha quedado alguna duda?"
 */
export const es: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, no hemos podido cobrar tu pedido",
      heading: "Ha habido un problema con el pago",
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
      body: "Si algo no te ha quedado claro sobre el pedido, el envío o las devoluciones, estamos aquí para ayudarte. Tu carrito te espera hasta que te decidas.",
      cta: "Volver a mi carrito",
    },
    reminder: {
      subject: "{{name}}, te has dejado algo en el carrito",
      heading: "Tu carrito está guardado",
      body: "Lo que has elegido sigue esperándote. Retoma tu compra justo donde la has dejado.",
      cta: "Ir a mi carrito",
    },
  },
  reply: "Responde a este correo y te contestará una persona de verdad.",
  quantity: "Cant. {{quantity}}",
  total: "Total",
  offer: "{{description}} Usa el código {{code}} al finalizar la compra.",
  offerValid: "Válido durante {{duration}}, hasta el {{until}}.",
  chat: "Habla con nosotros",
  chatOr: "o responde a este correo.",
  footer: "Recibes este correo porque has empezado un pedido en {{shop}}.",
  unsubscribe: "Darte de baja",
  unsubscribeAfter: " de estos recordatorios.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "No hemos podido cobrarte. Tu carrito te espera:",
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
  orderedHeading: "Ya has hecho este pedido",
  orderedBody: "¡Gracias! Tu pedido en {{shop}} se ha completado, así que no hay nada que recuperar.",
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

/**
 * Latin America's Spanish (`BUILTIN_COPY["es-419"]`): for es-MX, es-AR, es-CL, es-CO, es-US, es-419 and every region but Spain's.
 *
 * @example
 * es419.templates.question.subject; // "{{name}}, ¿te quedó alguna duda?"
 */
export const es419: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, no pudimos procesar tu pago",
      heading: "Hubo un problema con el pago",
      body: "Tu pedido sigue esperándote. El pago no se completó, algo que pasa más seguido de lo que crees. Puedes volver a intentarlo o elegir otro medio de pago: tu carrito está guardado.",
      cta: "Intentar de nuevo",
    },
    extra_costs: {
      subject: "{{name}}, tu carrito te espera (y con una sorpresa)",
      heading: "¿Todavía lo estás pensando?",
      body: "Sabemos que los costos de envío pueden desanimar a cualquiera. Tu carrito sigue guardado y aquí tienes algo para que te resulte más fácil.",
      cta: "Finalizar mi compra",
    },
    question: {
      subject: "{{name}}, ¿te quedó alguna duda?",
      heading: "¿Alguna duda antes de hacer tu pedido?",
      body: "Si algo no te quedó claro sobre el pedido, el envío o las devoluciones, estamos aquí para ayudarte. Tu carrito te espera hasta que te decidas.",
      cta: "Volver a mi carrito",
    },
    reminder: {
      subject: "{{name}}, dejaste algo en tu carrito",
      heading: "Tu carrito está guardado",
      body: "Lo que elegiste sigue esperándote. Retoma tu compra justo donde la dejaste.",
      cta: "Ir a mi carrito",
    },
  },
  reply: "Responde a este correo y te contestará una persona de verdad.",
  quantity: "Cant. {{quantity}}",
  total: "Total",
  offer: "{{description}} Usa el código {{code}} al finalizar tu compra.",
  offerValid: "Válido por {{duration}}, hasta el {{until}}.",
  chat: "Chatea con nosotros",
  chatOr: "o responde a este correo.",
  footer: "Recibes este correo porque iniciaste un pedido en {{shop}}.",
  unsubscribe: "Cancelar la suscripción",
  unsubscribeAfter: " a estos recordatorios.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "No pudimos procesar tu pago. Tu carrito te espera:",
    extra_costs: "Tu carrito te espera, con algo especial:",
    question: "¿Alguna duda? Te ayudamos. Tu carrito te espera:",
    reminder: "Dejaste algo en tu carrito. Retoma tu compra:",
  },
  smsStop: "Responde STOP para darte de baja.",
  smsCode: "Descuento: {{code}}.",
  theShop: "la tienda",
  expiredTitle: "Enlace vencido",
  expiredHeading: "Este enlace venció",
  expiredBody: "Guardamos los carritos durante {{duration}}. Visita la tienda para empezar de nuevo.",
  orderedTitle: "Pedido ya realizado",
  orderedHeading: "Ya hiciste este pedido",
  orderedBody: "¡Gracias! Tu pedido en {{shop}} se completó, así que no hay nada que recuperar.",
  waitingTitle: "Tu carrito",
  waitingHeading: "Tu carrito te está esperando",
  waitingButton: "Abrir mi carrito",
  unsubscribeTitle: "Cancelar la suscripción",
  unsubscribeHeading: "¿Quieres cancelar la suscripción?",
  unsubscribeBody: "{{email}} dejará de recibir recordatorios de carrito de {{shop}}.",
  unsubscribeButton: "Cancelar la suscripción",
  unsubscribedTitle: "Suscripción cancelada",
  unsubscribedHeading: "Cancelaste la suscripción",
  unsubscribedBody: "{{email}} ya no recibirá más recordatorios de carrito.",
  unknownTitle: "Enlace no válido",
  unknownHeading: "Este enlace no es válido",
};
