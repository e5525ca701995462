import type { Rng } from './random.js';
import { randomInt } from './random.js';

interface GenreWords {
  name: string;
  /** Relative share of the catalogue (and of users' favourites). */
  weight: number;
  years: [number, number];
  lead: string[];
  noun: string[];
}

/** Genre names follow MovieLens spelling so tags read the same across datasets. */
export const GENRE_WORDS: readonly GenreWords[] = [
  {
    name: 'Sci-Fi', weight: 1.3, years: [1951, 1998],
    lead: ['Starship', 'Galactic', 'Quantum', 'Nebula', 'Orbital', 'Android', 'Cosmic', 'Stellar', 'Neutron', 'Warp', 'Cyber', 'Lunar'],
    noun: ['Odyssey', 'Frontier', 'Protocol', 'Horizon', 'Exodus', 'Paradox', 'Colony', 'Signal', 'Drift', 'Genesis', 'Vector', 'Eclipse'],
  },
  {
    name: 'Romance', weight: 1.2, years: [1940, 1998],
    lead: ['Summer', 'Paris', 'Moonlight', 'Sweet', 'Secret', 'Forever', 'Autumn', 'Café', 'Tender', 'Midnight', 'Venice', 'Golden'],
    noun: ['Kisses', 'Hearts', 'Promise', 'Affair', 'Letters', 'Serenade', 'Waltz', 'Romance', 'Rendezvous', 'Embrace', 'Vows', 'Whispers'],
  },
  {
    name: 'Horror', weight: 0.8, years: [1955, 1998],
    lead: ['Blood', 'Shadow', 'Cursed', 'Hollow', 'Dead', 'Crimson', 'Silent', 'Grave', 'Wicked', 'Haunted', 'Black', 'Bone'],
    noun: ['Manor', 'Harvest', 'Ritual', 'Asylum', 'Hunger', 'Cellar', 'Scream', 'Fog', 'Crypt', 'Orchard', 'Lullaby', 'Woods'],
  },
  {
    name: 'Comedy', weight: 1.5, years: [1950, 1998],
    lead: ['Crazy', 'Totally', 'Big', 'Lucky', 'Wild', 'Silly', 'Uncle', 'Dizzy', 'Super', 'Funny', 'Double', 'Happy'],
    noun: ['Business', 'Weekend', 'Wedding', 'Getaway', 'Mixup', 'Vacation', 'Roommates', 'Bananas', 'Shenanigans', 'Family', 'Trouble', 'Honeymoon'],
  },
  {
    name: 'Western', weight: 0.6, years: [1939, 1992],
    lead: ['Dusty', 'Outlaw', 'Rio', 'Silver', 'High', 'Lone', 'Rattlesnake', 'Tombstone', "Dead Man's", 'Painted', 'Iron', 'Prairie'],
    noun: ['Trail', 'Gulch', 'Saddle', 'Ridge', 'Sheriff', 'Canyon', 'Creek', 'Showdown', 'Frontier', 'Mesa', 'Rider', 'Spurs'],
  },
  {
    name: 'Documentary', weight: 0.5, years: [1960, 1998],
    lead: ['Inside', 'Hidden', 'Voices of', 'Rivers of', 'Secrets of', 'Life on', 'Children of', 'Portrait of', 'Beyond', 'Wings over', 'Songs of', 'Letters from'],
    noun: ['the Deep', 'the Arctic', 'Harlem', 'the Amazon', 'Tomorrow', 'the Desert', 'Mars', 'the Reef', 'Kyoto', 'the Delta', 'the Steppe', 'Iceland'],
  },
  {
    name: 'Animation', weight: 0.7, years: [1940, 1998],
    lead: ['Little', 'Magic', 'Brave', 'Tiny', 'Clockwork', 'Paper', 'Jolly', 'Sleepy', 'Dancing', 'Flying', 'Puddle', 'Whisker'],
    noun: ['Dragon', 'Kingdom', 'Robot', 'Fox', 'Teapot', 'Lantern', 'Mouse', 'Balloon', 'Penguin', 'Acorn', 'Tales', 'Island'],
  },
  {
    name: 'Thriller', weight: 1.1, years: [1958, 1998],
    lead: ['Deadly', 'Final', 'Cold', 'Double', 'Silent', 'Zero', 'Dark', 'Broken', 'Hidden', 'Last', 'Fatal', 'Red'],
    noun: ['Witness', 'Verdict', 'Conspiracy', 'Alibi', 'Target', 'Cipher', 'Contract', 'Pursuit', 'Exposure', 'Dossier', 'Protocol', 'Motive'],
  },
  {
    name: 'Musical', weight: 0.5, years: [1936, 1996],
    lead: ['Broadway', "Singin'", 'Swing', 'Jazz', 'Harmony', 'Rhythm', 'Starlight', 'Carnival', 'Encore', 'Tango', 'Melody', 'Showboat'],
    noun: ['Nights', 'Parade', 'Serenade', 'Revue', 'Boulevard', 'Follies', 'Jamboree', 'Fever', 'Street', 'Rhapsody', 'Dreams', 'Ballroom'],
  },
  {
    name: 'War', weight: 0.6, years: [1942, 1998],
    lead: ['Operation', 'Steel', 'Iron', 'Battle of', 'Beyond the', 'Bridge at', 'Last', 'Thunder', 'Eagle', 'Glory', 'Fortress', 'Fallen'],
    noun: ['Dawn', 'Ridge', 'Thunder', 'Anzio', 'Company', 'Skies', 'Front', 'Harbor', 'Legion', 'Valor', 'Beachhead', 'Cross'],
  },
];

const NUMERALS = ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

/**
 * Makes distinct titles like "Starship Odyssey IV (1987)". A clash with an earlier title becomes a sequel; when
 * the numerals run out, the year moves on.
 */
export class TitleMaker {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  make(genre: number): string {
    const g = GENRE_WORDS[genre];
    const base = `${g.lead[randomInt(this.rng, g.lead.length)]} ${g.noun[randomInt(this.rng, g.noun.length)]}`;
    // Skewed towards the later years, as film catalogues are.
    const span = g.years[1] - g.years[0] + 1;
    let year = g.years[1] - Math.floor(span * this.rng() ** 2);
    let sequel = this.rng() < 0.08 ? 1 + randomInt(this.rng, 3) : 0;
    for (;;) {
      const title = `${base}${sequel > 0 ? ` ${NUMERALS[sequel - 1]}` : ''} (${year})`;
      if (!this.used.has(title)) {
        this.used.add(title);
        return title;
      }
      sequel++;
      if (sequel > NUMERALS.length) {
        sequel = 0;
        year++;
      }
    }
  }
}
