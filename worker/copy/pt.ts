import type { Copy } from "./types";

/**
 * The built-in copy in Portuguese (`BUILTIN_COPY.pt`).
 *
 * @example
 * pt.templates.reminder.cta; // "Ver o carrinho"
 */
export const pt: Copy = {
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
      body: "Se algo não ficou claro (encomenda, entrega, devoluções), estamos aqui para ajudar. O carrinho fica guardado até decidir.",
      cta: "Voltar ao carrinho",
    },
    reminder: {
      subject: "{{name}}, ficou algo no seu carrinho",
      heading: "O seu carrinho está guardado",
      body: "Os produtos que escolheu continuam à espera. Continue exatamente de onde parou.",
      cta: "Ver o carrinho",
    },
  },
  reply: "Basta responder a este e-mail e uma pessoa da nossa equipa responde.",
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
