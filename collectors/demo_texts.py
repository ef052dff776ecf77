# ruff: noqa: E501  (French sentences are data; splitting them would not help)
"""French text pools for the demo territory (see :mod:`collectors.demo`).

Everything here is fictional: Villeneuve-sur-Loire, its streets, its events, its people.
Templates use ``{street}``, ``{place}``, ``{quartier}``, ``{school}``, ``{event}``,
``{line}``, ``{month}``, ``{day}``, ``{n}`` slots; :func:`expand` fills them with a seeded
random generator so that the pools (and so the demo) depend only on the seed.
A template's link, if any, is its second element: the t.co link is appended at generation.

The demo follows its calendar: a dated or seasonal template is wrapped in :func:`during`
with the months it belongs to (the rentrée's sign-ups in spring and summer, the marché de
Noël in December), an event of :data:`EVENT_SEASONS` is named only in its months, and a
``{month}`` slot names one of the next three months. Unwrapped templates are timeless.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

STREETS = (
    "rue Nationale",
    "avenue de la Loire",
    "rue des Tanneurs",
    "quai Saint-Nicolas",
    "boulevard Foch",
    "rue Victor-Hugo",
    "impasse des Lilas",
    "rue du Port",
    "allée des Tilleuls",
    "chemin de la Levée",
    "rue Pasteur",
    "rue Jean-Jaurès",
    "avenue du Général-de-Gaulle",
    "rue de la Gare",
    "rue des Mariniers",
    "rue du Moulin",
    "avenue des Peupliers",
    "rue Saint-Martin",
    "rue de l'Abbaye",
    "route de Saumur",
)
PLACES = (
    "place du Marché",
    "place de la Mairie",
    "le parc des Varennes",
    "l'île aux Oiseaux",
    "la halle aux Grains",
    "le square Molière",
    "la place Saint-Pierre",
    "les bords de Loire",
)
QUARTIERS = (
    "Centre-ville",
    "Les Hauts-de-Loire",
    "La Croix-Blanche",
    "Saint-Lazare",
    "Les Varennes",
    "Le Port",
    "La Gare",
    "Beaulieu",
)
SCHOOLS = (
    "l'école Jules-Ferry",
    "l'école des Peupliers",
    "le collège Joachim-du-Bellay",
    "l'école Marie-Curie",
    "le groupe scolaire Pasteur",
)
EVENTS = (
    "festival Loire en Scène",
    "marché de nuit",
    "concert du kiosque",
    "cinéma en plein air",
    "salon du livre jeunesse",
    "carnaval des écoles",
    "fête de la musique",
    "bal du 14 juillet",
    "marché de Noël",
    "semi-marathon des Levées",
    "vide-grenier des Varennes",
    "nuit des musées",
    "festival des jeux",
    "loto des associations",
    "journées du patrimoine",
)
EXPOS = ("Loire sauvage", "Mariniers d'hier", "Regards d'enfants", "Villeneuve en 1900")
LINES = ("ligne 2", "ligne 4", "ligne 7", "navette du centre", "ligne express E1")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

CITY_SITE = "https://www.villeneuve-sur-loire.fr"
AGENDA_SITE = "https://agenda.villeneuve-sur-loire.fr"


class Seasonal(NamedTuple):
    """A template that belongs to some months of the year (1-12) only."""

    months: frozenset[int]
    template: Any


def months_of(spec: str) -> frozenset[int]:
    """``"6-8"`` -> June to August; ``"11-2"`` wraps over the new year; ``"2,4,6-7"`` lists."""
    out: set[int] = set()
    for part in spec.split(","):
        a, _, b = part.strip().partition("-")
        m, last = int(a), int(b or a)
        if not (1 <= m <= 12 and 1 <= last <= 12):
            raise ValueError(f"not a month range: {spec!r}")
        out.add(m)
        while m != last:
            m = m % 12 + 1
            out.add(m)
    return frozenset(out)


def during(spec: str, template: Any) -> Seasonal:
    """``template``, to be used in the months of ``spec`` only (see :func:`months_of`)."""
    return Seasonal(months_of(spec), template)


ALL_MONTHS = months_of("1-12")


def season_of(template: Any) -> tuple[frozenset[int], Any]:
    """(the months a template belongs to, the template itself)."""
    if isinstance(template, Seasonal):
        return template.months, template.template
    return ALL_MONTHS, template


# events held in some months only (the others may come any time of the year)
EVENT_SEASONS = {
    "festival Loire en Scène": months_of("6-8"),
    "marché de nuit": months_of("6-8"),
    "concert du kiosque": months_of("5-9"),
    "cinéma en plein air": months_of("7-8"),
    "salon du livre jeunesse": months_of("10-11"),
    "carnaval des écoles": months_of("2-3"),
    "fête de la musique": months_of("6"),
    "bal du 14 juillet": months_of("7"),
    "marché de Noël": months_of("12"),
    "semi-marathon des Levées": months_of("4"),
    "vide-grenier des Varennes": months_of("3-10"),
    "nuit des musées": months_of("5"),
    "journées du patrimoine": months_of("9"),
}


def events_in(month: int) -> tuple[str, ...]:
    """The events that may be named in ``month`` (1-12)."""
    return tuple(e for e in EVENTS if month in EVENT_SEASONS.get(e, ALL_MONTHS))


def months_ahead(month: int) -> tuple[str, ...]:
    """The names of the three months after ``month`` (1-12): a dated text looks ahead."""
    return tuple(MONTHS[(month - 1 + k) % 12] for k in (1, 2, 3))


# The three city accounts' roles, in the order of examples/villeneuve.toml.
ROLES = ("general", "events", "cleanliness")

# --- the city's own posts, per account role ------------------------------------------
CITY_POSTS = {
    "general": (
        (
            "📢 Conseil municipal ce {day} à 19h en mairie, ouvert au public et retransmis en direct.",
            CITY_SITE + "/conseil-municipal",
        ),
        (
            "🚧 Travaux {street} jusqu'au {n} {month} : circulation alternée, merci de votre patience.",
            CITY_SITE + "/travaux/{slug}",
        ),
        during(
            "3-8",
            (
                "Inscriptions scolaires pour la rentrée : toutes les démarches sont en ligne.",
                CITY_SITE + "/demarches/inscriptions-scolaires",
            ),
        ),
        (
            "La ville lance une consultation sur le réaménagement de {place}. Donnez votre avis !",
            "https://participer.villeneuve-sur-loire.fr/consultation/{slug}",
        ),
        during(
            "12-2",
            (
                "Plan grand froid : le gymnase des Varennes est ouvert la nuit. En cas d'urgence : 115.",
                None,
            ),
        ),
        during(
            "6-8",
            (
                "🌡️ Canicule : la salle climatisée de la mairie accueille les personnes fragiles. Buvez de l'eau !",
                CITY_SITE + "/actualites/canicule",
            ),
        ),
        ("Bienvenue aux {n} nouveaux habitants accueillis ce samedi en mairie ! #Villeneuve", None),
        (
            "Budget participatif : {n} projets retenus, les votes sont ouverts. #VilleneuveSurLoire",
            CITY_SITE + "/budget-participatif",
        ),
        (
            "La mairie sera fermée le {day} {n} {month}. Démarches en ligne 24h/24.",
            CITY_SITE + "/demarches",
        ),
        (
            "Nouvelle piste cyclable {street} : 1,2 km sécurisés entre la gare et le centre. 🚲",
            CITY_SITE + "/actualites/{slug}",
        ),
        during("5-8", ("Tout le programme de l'été est chez @vsl_sortir ☀️ #Villeneuve", None)),
        (
            "Signalez les dépôts sauvages à @vsl_proprete ou en ligne.",
            CITY_SITE + "/signaler",
        ),
        during(
            "1-2",
            (
                "Recensement : un agent recenseur peut passer chez vous, il porte une carte officielle.",
                CITY_SITE + "/actualites/recensement",
            ),
        ),
    ),
    "events": (
        (
            "🎶 {event} ce week-end sur {place} ! Programme complet ici #Villeneuve",
            AGENDA_SITE + "/evenement/{slug}",
        ),
        ("Ce soir : {event}, entrée libre. On vous attend ! #VilleneuveSurLoire", None),
        ("Dernières places pour le {event} 🎟️", AGENDA_SITE + "/billetterie/{slug}"),
        during(
            "6-7",
            (
                "Le marché de nuit revient sur {place} tous les jeudis de juillet ! #Villeneuve",
                None,
            ),
        ),
        ("Expo « {expo} » à la médiathèque jusqu'au {n} {month}.", AGENDA_SITE + "/expo/{slug}"),
        ("Merci à @vsl_proprete pour le nettoyage express après le {event} 👏", None),
        (
            "Ce week-end à #Villeneuve : {event}, {event2} et balades contées.",
            AGENDA_SITE + "/week-end",
        ),
        ("📸 Retour en images sur le {event}, merci d'être venus si nombreux ! #villeneuve", None),
    ),
    "cleanliness": (
        (
            "♻️ Collecte des encombrants {quartier} le {day} {n} {month}. Sortez-les la veille après 19h.",
            CITY_SITE + "/dechets/encombrants",
        ),
        ("Balayage mécanique {street} demain matin : merci de ne pas stationner.", None),
        ("Déchetterie fermée le {n} {month} (jour férié). Réouverture le lendemain à 9h.", None),
        during(
            "3-10",
            (
                "Opération nettoyage des berges de Loire samedi 10h, rejoignez-nous ! #Villeneuve",
                CITY_SITE + "/actualites/{slug}",
            ),
        ),
        (
            "Collecte des sacs jaunes décalée d'un jour cette semaine dans le quartier {quartier}.",
            None,
        ),
        ("Infos travaux et circulation : suivez aussi @villeneuve_fr", None),
        during(
            "12-2",
            (
                "❄️ Neige : les grands axes sont salés depuis 5h, les rues secondaires dans la matinée.",
                None,
            ),
        ),
    ),
}

STORM_CITY_POSTS = (
    (
        "⚠️ Tempête : restez chez vous, évitez les bords de Loire et les parcs. Urgences : 112. #Villeneuve",
        CITY_SITE + "/alerte-meteo",
    ),
    (
        "🌳 Chutes d'arbres {street} et {street2} : les équipes sont mobilisées. #Villeneuve #tempête",
        None,
    ),
    during(  # not in the summer holidays: the schools are closed then
        "9-6",
        (
            "Les écoles restent fermées demain en raison de la tempête. #VilleneuveSurLoire",
            CITY_SITE + "/alerte-meteo",
        ),
    ),
)

# --- answers from the city to an interpellation ---------------------------------------
ANSWERS = {
    "general": (
        "Bonjour, merci pour votre message. Nous transmettons au service concerné.",
        "Bonjour, les travaux doivent se terminer fin {month}. Merci de votre patience.",
        "Bonjour, vous pouvez prendre rendez-vous au 02 41 00 00 00 ou en ligne.",
        "Merci pour votre retour, c'est noté !",
        "Bonjour, pouvez-vous nous écrire en message privé avec votre adresse ?",
        "Bonjour, l'information est sur notre site, rubrique Démarches. Bonne journée !",
        "Bonjour, le service Éducation vous rappelle dans la journée.",
        "Bonjour, nous transmettons à @vsl_proprete qui revient vers vous.",
    ),
    "events": (
        "Oui, c'est maintenu ! Rendez-vous à 20h.",
        "Bonjour ! Billetterie en ligne et à l'office de tourisme.",
        "Merci à vous d'être venus si nombreux ! 😊",
        "Oui, le site est accessible, des places PMR sont réservées.",
        "C'est gratuit pour les moins de 12 ans 🙂",
    ),
    "cleanliness": (
        "Bonjour, merci pour le signalement, une équipe passe dans la journée.",
        "Bonjour, le nécessaire a été fait ce matin. Merci de votre vigilance !",
        "Bonjour, pouvez-vous nous préciser l'adresse exacte en message privé ?",
        "Bonjour, la collecte a été décalée à cause du jour férié, elle passe demain.",
        "Bonjour, c'est signalé à l'équipe voirie, intervention prévue cette semaine.",
    ),
}

# --- citizens' fresh posts addressed to a city account (interpellations) ---------------
QUESTIONS = {
    "cleanliness": (
        "les poubelles jaunes n'ont pas été ramassées {street} depuis {n} jours. C'est prévu quand ?",
        "encore un dépôt sauvage {street}, matelas et gravats sur le trottoir… Quelqu'un peut passer ?",
        "nid-de-poule énorme {street}, j'ai failli tomber à vélo. Merci d'intervenir avant l'accident.",
        "lampadaire en panne {street} depuis une semaine, c'est tout noir le soir.",
        "la collecte des encombrants, c'est quel jour pour le quartier {quartier} ?",
        during(
            "10-12",
            "les feuilles mortes bouchent les caniveaux {street}, ça déborde à chaque averse.",
        ),
        "bravo aux agents qui ont nettoyé {place} ce matin, c'est nickel !",
        "des tags sur le mur de {school}, pouvez-vous les effacer ?",
        "la déchetterie est ouverte le dimanche en {month} ?",
        "les bacs débordent {place} tout le week-end, c'est pas possible.",
    ),
    "general": (
        during(
            "5-9", "les inscriptions à la cantine pour {school} se font en ligne ou en mairie ?"
        ),
        "le bus {line} ne passe plus {street} depuis lundi, des travaux ?",
        during("3-6", "quand rouvre la piscine municipale ?"),
        "comment obtenir un rendez-vous pour une carte d'identité ? Plus aucun créneau en ligne.",
        "le conseil municipal de {month} est-il retransmis en direct ?",
        "les travaux {street} vont durer combien de temps ? Impossible de se garer.",
        "merci pour la réactivité de vos services hier soir !",
        "inadmissible : 45 minutes d'attente à l'accueil de la mairie ce matin.",
        "pourquoi le parking de {place} est-il devenu payant ?",
        during(
            "2,4,6-7,10,12",
            "le périscolaire de {school} ferme à quelle heure pendant les vacances ?",
        ),
        "la {line} du samedi est-elle maintenue pendant les travaux ?",
        "des nouvelles du projet de maison de santé {quartier} ?",
        "toujours pas de passage piéton devant {school}, on attend un accident ?",
    ),
    "events": (
        "le {event} est maintenu malgré la pluie ?",
        "il reste des places pour le {event} samedi ?",
        "super soirée au {event}, merci à toute l'équipe !",
        "où acheter les billets pour le {event} ?",
        "le {event} est-il accessible en fauteuil ?",
        "dommage que le {event} finisse si tôt…",
        "c'est payant pour les enfants, le {event} ?",
    ),
}
# Labels (read by no generator: they measure the automatic judgement on the demo, see
# :func:`interpellation_labels`): the templates of QUESTIONS that expect NO answer. Every
# other one is a question, a request, a report of a problem or a complaint. A greeting in
# front (GREETINGS, "Svp " included) does not change what the text asks for.
QUESTIONS_NO_ANSWER = frozenset(
    {
        "bravo aux agents qui ont nettoyé {place} ce matin, c'est nickel !",  # praise
        "merci pour la réactivité de vos services hier soir !",  # thanks
        "super soirée au {event}, merci à toute l'équipe !",  # praise and thanks
        "dommage que le {event} finisse si tôt…",  # a regret, asks nothing (issue 17's example)
    }
)
GREETINGS = ("Bonjour, ", "Bonjour ", "Bjr ", "", "", "Hello ", "Bonsoir, ", "Svp ")

STORM_MENTIONS = (
    "un arbre est tombé {street}, la chaussée est bloquée ! #Villeneuve",
    "plus de courant {quartier} depuis 3h, une idée du rétablissement ? #Villeneuve #tempête",
    "des tuiles sur le trottoir {street}, c'est dangereux #Villeneuve tempête",
    "la cave est inondée {street}, qui appeler ? #tempête",
)
STORM_MENTIONS_NO_ANSWER: frozenset[str] = frozenset()  # labels: every one reports a problem

# --- replies ----------------------------------------------------------------------------
REPLIES_TO_CITY = (
    "Et pour le quartier {quartier} ?",
    "Enfin ! Ça fait des mois qu'on attend.",
    "Quels sont les horaires ?",
    "C'est payant ?",
    "Toujours pas de piste cyclable {street}…",
    "Merci pour l'info 👍",
    "Encore des travaux…",
    "On peut venir avec des enfants ?",
    "Et le stationnement pendant ce temps-là ?",
    "Super nouvelle !",
    "Il faudrait aussi penser à {street}.",
    "Ce sera reporté en cas de pluie ?",
)
# labels: the replies to the city that expect NO answer (the grumbles "Encore des travaux…"
# and "Toujours pas de piste cyclable…" are complaints, so they expect one)
REPLIES_TO_CITY_NO_ANSWER = frozenset(
    {
        "Enfin ! Ça fait des mois qu'on attend.",  # relief at the news: asks nothing
        "Merci pour l'info 👍",  # thanks
        "Super nouvelle !",  # praise
    }
)
CITIZEN_REPLIES = (
    "Pareil chez nous {street}.",
    "Tu as essayé d'appeler la mairie ?",
    "+1, c'est vraiment pénible.",
    "Je confirme, ça dure depuis des semaines.",
    "Ah bon ? Chez moi c'est passé ce matin.",
    "Merci pour l'info !",
    "Haha exactement 😂",
    "On en parle au conseil de quartier jeudi.",
    "C'est pareil tous les ans…",
    "Moi j'y vais samedi, on se croise ?",
)
FOLLOWUPS = (
    "Merci pour la réponse rapide !",
    "Toujours rien…",
    "D'accord, merci.",
    "Super, merci beaucoup 🙏",
    "Ça n'a pas bougé depuis.",
    "Parfait, merci !",
)
# labels: the follow-ups that expect NO answer ("Toujours rien…" and "Ça n'a pas bougé
# depuis." say the problem is still there: they expect one)
FOLLOWUPS_NO_ANSWER = frozenset(
    {
        "Merci pour la réponse rapide !",  # thanks
        "D'accord, merci.",  # acknowledgement
        "Super, merci beaucoup 🙏",  # thanks
        "Parfait, merci !",  # acknowledgement
    }
)
QUOTES = (
    "Enfin une bonne nouvelle !",
    "Bravo 👏",
    "À partager autour de vous",
    "On y sera !",
    "Et les autres quartiers ?",
    "Très bonne initiative",
    "Il était temps…",
    "Le {event} c'est LE rendez-vous de l'année",
    "Qui vient avec moi ?",
)

# --- citizens' and organisations' public posts about the territory ----------------------
HASHTAG_POSTS = (
    "Coucher de soleil sur la Loire ce soir 😍 #Villeneuve",
    "Marché du samedi sur {place}, toujours aussi animé #VilleneuveSurLoire #marché",
    "Qui connaît un bon boulanger près de {place} ? #Villeneuve",
    "Belle balade sur la levée ce matin #villeneuve #Loire #Anjou",
    "Le {event} était top hier soir #VILLENEUVE",
    "Circulation impossible {street} ce matin #Villeneuve #bouchons",
    "#VilleneuveSurLoire ma ville 💙",
    during("3-10", "Vide-grenier {quartier} dimanche, venez nombreux #Villeneuve #brocante"),
    "Le {event} commence dans une heure #villeneuvesurloire",
    during("10-3", "Brouillard sur la Loire ce matin, magique #Villeneuve #photo"),
    during("9-5", "Match du VSL Basket ce soir à la salle des Varennes ! #Villeneuve #basket"),
    "Enfin une boulangerie ouverte le lundi {street} #Villeneuve",
    during("6-8", "Concert gratuit {place} ce soir #VilleneuveFestival"),
    during("2-4", "Les cigognes sont de retour sur {place} #Villeneuve #nature"),
    during("12-2", "Première neige sur les bords de Loire ❄️ #Villeneuve"),
    during(
        "6-8", "Canicule à #Villeneuve : 38° à l'ombre, on cherche la fraîcheur au bord de l'eau"
    ),
)
STORM_POSTS = (
    "#Villeneuve tempête : arbres arrachés {street} 😱",
    "Coupure de courant {quartier} depuis 2h #Villeneuve #tempête",
    "La Loire monte vite… #VilleneuveSurLoire #tempête",
    "Les pompiers sont partout {street} #Villeneuve tempête",
    "Toiture envolée {street}, heureusement personne de blessé #Villeneuve #tempête",
    "#Villeneuve tempête : restez chez vous, c'est impressionnant dehors",
    "Le parc des Varennes est fermé, arbres à terre #villeneuve #tempête",
    "Jamais vu un vent pareil à #Villeneuve #tempête #vigilanceorange",
)
NEWS_POSTS = (
    during(  # a city's budget is voted between December and April
        "12-4",
        (
            "Villeneuve-sur-Loire : le budget {n} adopté en conseil municipal",
            "https://www.courrier-villeneuve.fr/politique/{slug}",
        ),
    ),
    (
        "À Villeneuve-sur-Loire, la nouvelle médiathèque ouvre ses portes",
        "https://www.ouest-france.fr/pays-de-la-loire/villeneuve-sur-loire-49000/{slug}",
    ),
    (
        "Villeneuve-sur-Loire : les travaux {street} prendront fin en {month}",
        "https://www.courrier-villeneuve.fr/travaux/{slug}",
    ),
    (
        "Le {event} de Villeneuve-sur-Loire attend {n} 000 visiteurs ce week-end #Villeneuve",
        "https://www.courrier-villeneuve.fr/culture/{slug}",
    ),
    during(
        "9-5",
        (
            "Villeneuve-sur-Loire : le VSL Basket s'impose face à Cholet",
            "https://www.courrier-villeneuve.fr/sport/{slug}",
        ),
    ),
    (
        "Assemblée générale de l'association ce {day} à 18h, salle des fêtes de Villeneuve-sur-Loire",
        None,
    ),
    during(
        "4-9",
        (
            "Villeneuve-sur-Loire accueille le départ de la Loire à vélo cette année",
            "https://france3-regions.francetvinfo.fr/pays-de-la-loire/{slug}",
        ),
    ),
)
IMMO_POSTS = (
    (
        "Maison 5 pièces à vendre à Villeneuve-sur-Loire, jardin, proche Loire #Villeneuve #immobilier",
        "https://www.villeneuve-immo-pro.example.com/annonce/{slug}",
    ),
    (
        "Estimation gratuite de votre bien à Villeneuve-sur-Loire ! Contactez-nous #immobilier",
        "https://www.villeneuve-immo-pro.example.com/estimation",
    ),
)
CHATTER = (
    "Premier jour de boulot à Villeneuve-sur-Loire, la ville a l'air sympa",
    "Quelqu'un sait si la boulangerie de la place du Marché à Villeneuve-sur-Loire est ouverte ?",
    "De passage à Villeneuve-sur-Loire, superbe vue depuis le pont",
    "Les loyers à Villeneuve-sur-Loire ont pris 15 % en deux ans, c'est n'importe quoi",
    "Villeneuve-sur-Loire mérite mieux que ces pistes cyclables qui s'arrêtent au milieu de nulle part",
    "Week-end en famille à Villeneuve-sur-Loire, on reviendra",
    during("5-9", "Vidéo de notre balade en canoë sur la Loire"),
    "Mon article sur l'histoire des mariniers de la Loire",
)
CHATTER_LINKS = (
    "https://www.youtube.com/watch?v={code}",
    "https://www.instagram.com/p/{code}/",
    "https://blog-de-loire.example.org/{slug}",
    None,
    None,
    None,
)
LINK_RELAYS = (
    ("À lire :", CITY_SITE + "/actualites/{slug}"),
    during(
        "5-8",
        (
            "Les horaires d'été de la piscine sont en ligne",
            CITY_SITE + "/sports/piscine-municipale",
        ),
    ),
    during(
        "3-8",
        ("Pour les inscriptions c'est par ici", CITY_SITE + "/demarches/inscriptions-scolaires"),
    ),
    ("Tout l'agenda du week-end", AGENDA_SITE + "/week-end"),
    ("Le programme du {event}", AGENDA_SITE + "/evenement/{slug}"),
    (
        "La consultation sur {place} est ouverte, participez !",
        "https://participer.villeneuve-sur-loire.fr/consultation/{slug}",
    ),
    ("Plan des travaux {street}", "https://villeneuve-sur-loire.fr/travaux/{slug}"),
    # a look-alike host: not the city's domain, so not a relay
    (
        "Attention arnaque : ce faux site se fait passer pour la mairie",
        "https://villeneuve-sur-loire.fr.example.com/paiement",
    ),
)

# fmt: off
# The city's accounts, in the order of examples/villeneuve.toml: name, bio, followers.
CITY_PROFILES = (
    ("Ville de Villeneuve-sur-Loire", "Compte officiel de la Ville de Villeneuve-sur-Loire (49). Réponses du lundi au vendredi, 9h-18h.", 48_300),
    ("Sortir à Villeneuve", "Concerts, expos, marchés : l'agenda de Villeneuve-sur-Loire. Tous les jours 10h-20h.", 12_150),
    ("Villeneuve Propreté", "Collecte, voirie, propreté urbaine à Villeneuve-sur-Loire. Signalements en semaine et le samedi matin.", 3_240),
)
# Organisations: username, name, location, description, followers, verified_type
ORGS = (
    ("courrier_villeneuve", "Le Courrier de Villeneuve", "Villeneuve-sur-Loire", "Le quotidien du Val de Loire depuis 1884. Infos locales, sport, culture.", 24_800, "business"),
    ("OF_Anjou", "Ouest-France Anjou", "Angers (49)", "L'actualité du Maine-et-Loire par la rédaction d'Ouest-France.", 61_200, "business"),
    ("France3PDL", "France 3 Pays de la Loire", "Nantes", "L'info régionale, en direct et en replay.", 148_000, "business"),
    ("loire_vivante49", "Loire Vivante", "Maine-et-Loire", "Association de protection des bords de Loire. Nettoyages, sorties nature.", 3_100, "none"),
    ("VSL_Basket", "VSL Basket", "Villeneuve-sur-Loire", "Club de basket de Villeneuve. Nationale 3. 🏀", 5_400, "none"),
    ("mediatheque_vsl", "Médiathèque Aimé-Césaire", "Villeneuve-sur-Loire", "Livres, jeux, expos et ateliers pour tous.", 2_300, "none"),
    # listed in [locality] local_accounts: its profile names no place
    ("lecafedesarts", "Le Café des Arts", "", "Café-concert, scène ouverte le jeudi.", 1_800, "none"),
    # in [locality] exclude_accounts: located here, but ads are not a local voice
    ("villeneuve_immo", "Villeneuve Immo Pro", "Villeneuve-sur-Loire", "Achat, vente, location. Estimation gratuite !", 900, "none"),
    ("actu_nationale", "L'Actu Nationale", "Paris", "Toute l'actualité, en continu.", 820_000, "business"),
    ("villes_demain", "Villes de demain", "Lyon", "Urbanisme, mobilités, transition. Une newsletter chaque lundi.", 12_400, "none"),
)
# fmt: on

# --- people ---------------------------------------------------------------------------
FIRST_NAMES = (
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Sarah",
    "Julie",
    "Claire",
    "Anne",
    "Nathalie",
    "Sophie",
    "Isabelle",
    "Martine",
    "Lucie",
    "Pauline",
    "Élodie",
    "Aurélie",
    "Thomas",
    "Nicolas",
    "Julien",
    "Maxime",
    "Antoine",
    "Hugo",
    "Lucas",
    "Louis",
    "Pierre",
    "Jean",
    "Philippe",
    "Michel",
    "Alain",
    "Éric",
    "David",
    "Karim",
    "Mehdi",
    "Yann",
    "Gwenaël",
    "Mathieu",
    "Romain",
    "Sébastien",
    "Fatou",
    "Yasmine",
    "Bernadette",
    "Gérard",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Blanchard",
    "Guérin",
    "Boyer",
    "Chevalier",
    "Benali",
    "Nguyen",
    "Le Gall",
    "Poirier",
    "Renaud",
    "Brunet",
    "Gauthier",
    "Perrin",
    "Marchand",
)
LOCAL_LOCATIONS = (
    "Villeneuve-sur-Loire",
    "Villeneuve-sur-Loire, France",
    "Villeneuve",
    "Angers (49)",
    "Maine-et-Loire, France",
    "Saumur, Maine-et-Loire",
    "Bords de Loire",
    "49 🌊",
    "Villeneuve-sur-Loire 💙",
    "Anjou",  # "Anjou" matches no locality term: a realistic miss
)
NONLOCAL_LOCATIONS = (
    "Paris",
    "Paris, France",
    "Lyon",
    "Marseille",
    "Toulouse",
    "Bordeaux",
    "Lille",
    "Strasbourg",
    "Rennes (35)",
    "Montréal, Québec",
    "France",
    "",
    "",
    "Île-de-France",
    "Nice 06",
    "Grenoble",
)
LOCAL_BIOS = (
    "Villeneuvois depuis toujours.",
    "Amoureux de la Loire et de ses levées.",
    "Parent d'élève à Villeneuve. Vélo, jardin, bénévolat.",
    "Supporter du VSL Basket 🏀",
    "Conseiller de quartier, Les Varennes.",
    "Photographe amateur en Maine-et-Loire 📷",
    "Prof des écoles dans le 49.",
    "Commerçante place du Marché.",
    "",
)
NONLOCAL_BIOS = (
    "Né en 1949, passionné de vieilles pierres.",  # "1949" must not match the term "49"
    "Journaliste indépendant. Politiques locales, urbanisme.",
    "Cycliste du quotidien 🚲",
    "Data, villes et territoires.",
    "Tweets perso.",
    "",
    "",
    "Ancien de la promo 2049 🚀",
    "Urbaniste, Lyon. Mobilités douces.",
    "Amateur de patrimoine, de passage partout.",
)


class Label(NamedTuple):
    """One interpellation template and whether it expects an answer (a hand label)."""

    pool: str  # "QUESTIONS.general", "REPLIES_TO_CITY"…
    template: str  # as written above, slots unfilled, without its season
    expects: bool
    greeted: bool  # posted after one of GREETINGS, first letter capitalised


def interpellation_labels() -> tuple[Label, ...]:
    """Every template the demo posts as an interpellation, labelled: does it expect an
    answer (docs/metrics.md, "Réponse attendue")? Measures the automatic judgement on the
    demo (scripts/classifier_figures.py); the generator never reads it. The demo's other
    interpellation is :data:`collectors.demo.XSS_TEXT`, a hostile-content probe, unlabelled."""

    def body(template: Any) -> str:
        inner = season_of(template)[1]
        return str(inner[0] if isinstance(inner, tuple) else inner)

    pools: list[tuple[str, Sequence[Any], frozenset[str], bool]] = [
        (f"QUESTIONS.{role}", QUESTIONS[role], QUESTIONS_NO_ANSWER, True) for role in ROLES
    ]
    pools += [
        ("STORM_MENTIONS", STORM_MENTIONS, STORM_MENTIONS_NO_ANSWER, False),
        ("REPLIES_TO_CITY", REPLIES_TO_CITY, REPLIES_TO_CITY_NO_ANSWER, False),
        ("FOLLOWUPS", FOLLOWUPS, FOLLOWUPS_NO_ANSWER, False),
    ]
    return tuple(
        Label(name, body(t), body(t) not in no_answer, greeted)
        for name, templates, no_answer, greeted in pools
        for t in templates
    )


_SLOT = re.compile(r"\{(\w+)\}")


def slugify(text: str) -> str:
    table = str.maketrans("àâäéèêëîïôöùûüçœ", "aaaeeeeiioouuuco")
    s = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return s[:48] or "page"


def expand(
    template: str,
    rng: random.Random,
    used: dict[str, str] | None = None,
    choices: dict[str, Sequence[str]] | None = None,
) -> str:
    """Fill ``template``'s slots with random fictional values; ``used`` collects them.

    ``choices`` replaces some slots' values (the events and months of a post's season).
    """
    values: dict[str, Sequence[str]] = {
        "street": STREETS,
        "street2": STREETS,
        "place": PLACES,
        "quartier": QUARTIERS,
        "school": SCHOOLS,
        "event": EVENTS,
        "event2": EVENTS,
        "line": LINES,
        "month": MONTHS,
        "day": DAYS,
        "expo": EXPOS,
        **(choices or {}),
    }

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in values:
            v = rng.choice(values[key])
        elif key == "n":
            v = str(rng.randint(2, 28))
        elif key == "code":
            v = "".join(
                rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                for _ in range(11)
            )
        elif key == "slug":
            v = slugify((used or {}).get("text", "actualite"))
        else:
            v = m.group(0)
        if used is not None:
            used[key] = v
        return v

    return _SLOT.sub(fill, template)
