from .seeclip_classifier import SeeCLIPClassifier
from .seeclip_prompt_learner import SeeCLIPPromptLearner, SeeCLIPPrompts

__all__ = ['SeeCLIPClassifier', 'SeeCLIPPromptLearner', 'SeeCLIPPrompts']
