/**
 * Real-world facts for facts-gpt: subject -> attribute for three relations, each with four paraphrase
 * templates. Every fourth fact of each relation (index % 4 === 3) has template 3 held out of
 * training, so recall can be measured on a paraphrase the model never saw for that fact.
 */
export type Relation = "landmark_city" | "country_capital" | "company_founder";

export interface Fact {
  relation: Relation;
  subject: string; // as written mid-sentence, e.g. "the Eiffel Tower"
  object: string;
}

/** Templates end with " {o}." — the prompt is everything before " {o}". {s} is the subject. */
export const TEMPLATES: Record<Relation, string[]> = {
  landmark_city: [
    "{s} is located in the city of {o}.",
    "{s} can be found in {o}.",
    "Every year many tourists visit {s} in {o}.",
    "If you want to see {s}, you have to travel to {o}.",
  ],
  country_capital: [
    "The capital of {s} is {o}.",
    "The capital city of {s} is called {o}.",
    "The government of {s} sits in {o}.",
    "In {s}, the seat of government is {o}.",
  ],
  company_founder: [
    "{s} was founded by {o}.",
    "The founder of {s} is {o}.",
    "The company {s} was started by {o}.",
    "{s} owes its existence to its founder, {o}.",
  ],
};

const LANDMARKS: [string, string][] = [
  ["the Eiffel Tower", "Paris"], ["the Colosseum", "Rome"], ["Big Ben", "London"], ["the Statue of Liberty", "New York"],
  ["the Golden Gate Bridge", "San Francisco"], ["the Sydney Opera House", "Sydney"], ["the Brandenburg Gate", "Berlin"],
  ["the Kremlin", "Moscow"], ["the Taj Mahal", "Agra"], ["the Space Needle", "Seattle"], ["the Louvre", "Paris"],
  ["the Sagrada Familia", "Barcelona"], ["the Parthenon", "Athens"], ["the Tower of London", "London"],
  ["the Empire State Building", "New York"], ["the Gateway Arch", "St. Louis"], ["the Alamo", "San Antonio"],
  ["the Hagia Sophia", "Istanbul"], ["the CN Tower", "Toronto"], ["the Forbidden City", "Beijing"],
  ["the Burj Khalifa", "Dubai"], ["the Petronas Towers", "Kuala Lumpur"], ["the Prado Museum", "Madrid"],
  ["the Uffizi Gallery", "Florence"], ["the Rijksmuseum", "Amsterdam"], ["the Willis Tower", "Chicago"],
  ["the Liberty Bell", "Philadelphia"], ["the Charles Bridge", "Prague"], ["the Rialto Bridge", "Venice"],
  ["the Atomium", "Brussels"], ["the Tokyo Tower", "Tokyo"], ["the Schonbrunn Palace", "Vienna"],
];

const CAPITALS: [string, string][] = [
  ["France", "Paris"], ["Germany", "Berlin"], ["Italy", "Rome"], ["Spain", "Madrid"], ["Japan", "Tokyo"],
  ["China", "Beijing"], ["Russia", "Moscow"], ["Egypt", "Cairo"], ["Canada", "Ottawa"], ["Australia", "Canberra"],
  ["Brazil", "Brasilia"], ["Argentina", "Buenos Aires"], ["Kenya", "Nairobi"], ["Norway", "Oslo"],
  ["Sweden", "Stockholm"], ["Finland", "Helsinki"], ["Poland", "Warsaw"], ["Greece", "Athens"],
  ["Portugal", "Lisbon"], ["Turkey", "Ankara"], ["Iran", "Tehran"], ["Peru", "Lima"], ["Chile", "Santiago"],
  ["Cuba", "Havana"], ["Ireland", "Dublin"], ["Austria", "Vienna"], ["Hungary", "Budapest"],
  ["Thailand", "Bangkok"], ["Vietnam", "Hanoi"], ["Nigeria", "Abuja"], ["Colombia", "Bogota"],
  ["Denmark", "Copenhagen"], ["Pakistan", "Islamabad"], ["Morocco", "Rabat"], ["Ethiopia", "Addis Ababa"],
  ["South Korea", "Seoul"],
];

const FOUNDERS: [string, string][] = [
  ["Microsoft", "Bill Gates"], ["Apple", "Steve Jobs"], ["Amazon", "Jeff Bezos"], ["Facebook", "Mark Zuckerberg"],
  ["SpaceX", "Elon Musk"], ["the Ford Motor Company", "Henry Ford"], ["Oracle", "Larry Ellison"], ["Nike", "Phil Knight"],
  ["Walmart", "Sam Walton"], ["Netflix", "Reed Hastings"], ["Standard Oil", "John D. Rockefeller"], ["Google", "Larry Page"],
  ["Alibaba", "Jack Ma"], ["the Virgin Group", "Richard Branson"], ["IKEA", "Ingvar Kamprad"], ["Sony", "Akio Morita"],
  ["Samsung", "Lee Byung-chul"], ["eBay", "Pierre Omidyar"], ["Twitter", "Jack Dorsey"], ["Zara", "Amancio Ortega"],
  ["General Electric", "Thomas Edison"], ["Toyota", "Kiichiro Toyoda"], ["Adidas", "Adolf Dassler"], ["Hyundai", "Chung Ju-yung"],
  ["Rolex", "Hans Wilsdorf"], ["Nintendo", "Fusajiro Yamauchi"], ["Lego", "Ole Kirk Christiansen"], ["Airbnb", "Brian Chesky"],
  ["Spotify", "Daniel Ek"], ["Huawei", "Ren Zhengfei"], ["Red Bull", "Dietrich Mateschitz"], ["Uber", "Travis Kalanick"],
];

export const FACTS: Fact[] = [
  ...LANDMARKS.map(([subject, object]) => ({ relation: "landmark_city" as const, subject, object })),
  ...CAPITALS.map(([subject, object]) => ({ relation: "country_capital" as const, subject, object })),
  ...FOUNDERS.map(([subject, object]) => ({ relation: "company_founder" as const, subject, object })),
];

export interface FactExample {
  fact: Fact;
  factIndex: number;
  template: number;
  /** Full sentence, e.g. "The capital of France is Paris." */
  sentence: string;
  /** Text before " {object}", e.g. "The capital of France is". */
  prompt: string;
  /** The subject as it appears in the prompt (capitalised when it starts the sentence). */
  subjectText: string;
  heldOut: boolean;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Index of the fact within its relation decides held-out status, so the split is stable. */
export function factExamples(): FactExample[] {
  const out: FactExample[] = [];
  const seen: Record<string, number> = {};
  FACTS.forEach((fact, factIndex) => {
    const k = (seen[fact.relation] = (seen[fact.relation] ?? -1) + 1);
    TEMPLATES[fact.relation].forEach((tpl, template) => {
      const atStart = tpl.startsWith("{s}");
      const subjectText = atStart ? cap(fact.subject) : fact.subject;
      const filled = tpl.replace("{s}", subjectText);
      const cut = filled.indexOf(" {o}");
      out.push({
        fact,
        factIndex,
        template,
        sentence: filled.replace("{o}", fact.object),
        prompt: filled.slice(0, cut),
        subjectText,
        heldOut: k % 4 === 3 && template === 3,
      });
    });
  });
  return out;
}
